using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;

namespace Usher.Server.Hosting;

/// <summary>
/// Whether Kestrel runs each request on the socket engine's thread that read it, instead of handing
/// it to a thread-pool worker. .NET's own switch for the socket layer,
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> (read by the runtime, environment only),
/// turns on Kestrel's half too (<see cref="SocketTransportOptions.UnsafePreferInlineScheduling"/>), so
/// one variable removes both hand-offs: a lone request then wakes one thread (the engine's) instead
/// of two. Unsafe by name, and off by default: with the model run inline on that thread (an idle
/// instance), a slow model holds every connection that engine serves until it finishes.
/// docs/benchmarks.md ("Cold start") has the measurements.
/// </summary>
internal static class SocketScheduling
{
    /// <summary>The runtime's environment variable that inlines socket completions.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Whether <paramref name="value"/> (the variable's value, null when unset) turns inline scheduling on, as the runtime reads it.</summary>
    public static bool IsInline(string? value) => value == "1";

    /// <summary>Sets Kestrel's inline scheduling when <paramref name="variable"/> turns it on; otherwise leaves the transport's defaults.</summary>
    public static void Configure(IServiceCollection services, string? variable)
    {
        if (IsInline(variable))
        {
            services.Configure<SocketTransportOptions>(o => o.UnsafePreferInlineScheduling = true);
        }
    }
}
