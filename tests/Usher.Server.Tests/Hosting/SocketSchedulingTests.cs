using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Usher.Server.Frontends.Http;
using Usher.Server.Hosting;

namespace Usher.Server.Tests.Hosting;

/// <summary>
/// Kestrel's inline scheduling follows the runtime's DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS,
/// read the way the runtime reads it (only "1" turns it on), and is off when the variable is unset;
/// server.inline_scheduling sets the variable when it is unset and refuses one that contradicts it.
/// </summary>
public sealed class SocketSchedulingTests
{
    [Theory]
    [InlineData("1", true)]
    [InlineData(null, false)]
    [InlineData("0", false)]
    [InlineData("true", false)]
    [InlineData("", false)]
    public void KestrelSchedulesInline_OnlyWhenTheRuntimesVariableIsOne(string? value, bool inline)
    {
        var services = new ServiceCollection();
        services.AddOptions();

        SocketScheduling.Configure(services, value);

        using var provider = services.BuildServiceProvider();
        Assert.Equal(inline, provider.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling);
    }

    [Fact]
    public void TheServerReadsTheRuntimesOwnVariable()
    {
        // One variable for both layers: the name must be the one System.Net.Sockets reads.
        Assert.Equal("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", SocketScheduling.InlineCompletionsVariable);
    }

    [Theory]
    [InlineData(null, "1")]
    [InlineData("1", null)]
    public void TheOptionOn_SetsTheVariableOnlyWhenItIsUnset(string? before, string? written)
    {
        var writes = new List<(string Name, string Value)>();

        var problem = SocketScheduling.Apply(true, name => name == SocketScheduling.InlineCompletionsVariable ? before : "unrelated", (n, v) => writes.Add((n, v)));

        Assert.Null(problem);
        Assert.Equal(written is null ? [] : [(SocketScheduling.InlineCompletionsVariable, written)], writes);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("0")]
    [InlineData("1")]
    public void TheOptionOff_LeavesTheEnvironmentAsItIs(string? before)
    {
        var writes = 0;

        var problem = SocketScheduling.Apply(false, _ => before, (_, _) => writes++);

        Assert.Null(problem);
        Assert.Equal(0, writes);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("true")]
    [InlineData("")]
    public void TheOptionOn_WithTheVariableTurningItOff_IsAProblemNamingBoth(string value)
    {
        var writes = 0;

        var problem = SocketScheduling.Apply(true, _ => value, (_, _) => writes++);

        Assert.NotNull(problem);
        Assert.Contains("server.inline_scheduling", problem, StringComparison.Ordinal);
        Assert.Contains($"DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS={value},", problem, StringComparison.Ordinal);
        Assert.Equal(0, writes);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData(null, false)]
    [InlineData("0", false)]
    public void TheRestFrontendsHandOff_FollowsTheVariable(string? value, bool inline)
    {
        var services = new ServiceCollection();
        services.AddOptions();

        SocketScheduling.Configure(services, value);

        using var provider = services.BuildServiceProvider();
        Assert.Equal(inline, provider.GetRequiredService<LoneRequestHandOff>().Inline);
    }
}
