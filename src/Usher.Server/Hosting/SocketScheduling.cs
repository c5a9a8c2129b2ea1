using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Hosting;

/// <summary>
/// Whether Kestrel runs each request on the socket engine's thread that read it, instead of handing
/// it to a thread-pool worker (inline scheduling; <c>server.inline_scheduling</c>). .NET's own switch
/// for the socket layer, <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> (read by the runtime
/// from the environment, once, when the process makes its first socket), turns on Kestrel's half too
/// (<see cref="SocketTransportOptions.UnsafePreferInlineScheduling"/>), so one variable removes both
/// hand-offs. <c>usher serve</c> sets the variable for its own process from the option
/// (<see cref="Apply"/>) before it makes a socket. Unsafe by name, and off by default: a request
/// that runs its model on that thread holds every connection that engine thread serves until it
/// finishes, and when the cores are shared, the scheduler's preemption of one engine thread delays
/// all of them. A lone REST inference still leaves the engine's thread (<see cref="LoneRequestHandOff"/>).
/// docs/configuration.md ("Inline scheduling") has the measurements.
/// </summary>
internal static class SocketScheduling
{
    /// <summary>The runtime's environment variable that inlines socket completions.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Whether <paramref name="value"/> (the variable's value, null when unset) turns inline scheduling on, as the runtime reads it.</summary>
    public static bool IsInline(string? value) => value == "1";

    /// <summary>
    /// Makes the process's environment agree with <paramref name="inline"/> (<c>server.inline_scheduling</c>)
    /// before the first socket is made: true sets the variable to 1 when it is unset; false leaves
    /// the environment as it is (the variable alone still turns inline scheduling on, as the runtime
    /// reads it). Returns the problem, or null: the option on and the variable set to anything but 1
    /// contradict each other, and the runtime would follow the variable.
    /// </summary>
    /// <param name="inline">The option's value.</param>
    /// <param name="read">Reads an environment variable (null when unset).</param>
    /// <param name="write">Sets an environment variable for this process.</param>
    public static string? Apply(bool inline, Func<string, string?> read, Action<string, string> write)
    {
        if (!inline)
        {
            return null;
        }

        var value = read(InlineCompletionsVariable);
        if (value is null)
        {
            write(InlineCompletionsVariable, "1");
            return null;
        }

        return IsInline(value)
            ? null
            : $"server.inline_scheduling is true, but the environment sets {InlineCompletionsVariable}={value}, which turns it off; unset the variable or set it to 1";
    }

    /// <summary>
    /// Sets Kestrel's inline scheduling when <paramref name="variable"/> turns it on; otherwise leaves the
    /// transport's defaults. Registers the REST frontend's <see cref="LoneRequestHandOff"/> either way.
    /// </summary>
    public static void Configure(IServiceCollection services, string? variable)
    {
        var inline = IsInline(variable);
        if (inline)
        {
            services.Configure<SocketTransportOptions>(o => o.UnsafePreferInlineScheduling = true);
        }

        services.AddSingleton(new LoneRequestHandOff(inline));
    }
}
