using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Usher.Server.Hosting;

namespace Usher.Server.Tests.Hosting;

/// <summary>
/// Kestrel's inline scheduling follows the runtime's DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS,
/// read the way the runtime reads it (only "1" turns it on), and is off when the variable is unset.
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
}
