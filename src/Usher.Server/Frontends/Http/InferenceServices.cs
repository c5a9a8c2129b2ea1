using Microsoft.Extensions.DependencyInjection;
using Usher.Core.Routing;
using Usher.Core.Scheduling;
using Usher.Server.Hosting;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// The singletons the REST infer handler uses, each resolved from the application's services on
/// first use and kept: a lookup in the container per request and per service cost about half a µs
/// of CPU per answer. Resolved lazily rather than when the routes are mapped, so that nothing is
/// built earlier than before (the router, for one, is built when the first request needs it).
/// </summary>
/// <param name="services">The application's services (singletons only are resolved).</param>
internal sealed class InferenceServices(IServiceProvider services)
{
    private ServerOptions? _options;
    private MemoryBudget? _budget;
    private InferenceRouter? _router;
    private MemoryReturn? _memoryReturn;
    private LoneRequestHandOff? _handOff;
    private bool _memoryReturnResolved;

    public ServerOptions Options => _options ??= services.GetRequiredService<ServerOptions>();

    /// <summary>The server's bound on request bytes (<c>scheduling.max_in_flight_bytes</c>).</summary>
    public MemoryBudget Budget => _budget ??= services.GetRequiredService<SchedulingContext>().Budget;

    public InferenceRouter Router => _router ??= services.GetRequiredService<InferenceRouter>();

    /// <summary>Under inline scheduling, sends lone requests to the thread pool (registered by <see cref="SocketScheduling.Configure"/>).</summary>
    public LoneRequestHandOff HandOff => _handOff ??= services.GetRequiredService<LoneRequestHandOff>();

    /// <summary>Null when the host registers none.</summary>
    public MemoryReturn? MemoryReturn
    {
        get
        {
            if (!Volatile.Read(ref _memoryReturnResolved))
            {
                _memoryReturn = services.GetService<MemoryReturn>();
                Volatile.Write(ref _memoryReturnResolved, true);
            }

            return _memoryReturn;
        }
    }
}
