using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Usher.Core.Repository;
using Usher.Core.Scheduling;

namespace Usher.Engine;

/// <summary>
/// How to open an <see cref="UsherEngine"/>. The repository and scheduling settings are the very
/// option types the server binds from <c>usher.yaml</c>, with the same defaults and validation.
/// </summary>
public sealed class UsherEngineOptions
{
    /// <summary>
    /// The model repository: <see cref="RepositoryOptions.Path"/> (required), and
    /// <see cref="RepositoryOptions.PollSeconds"/> to watch it for new versions (0, the default,
    /// loads once). With <see cref="RepositoryOptions.StrictReadiness"/> (default true), opening
    /// fails unless every model loads.
    /// </summary>
    public RepositoryOptions Repository { get; init; } = new();

    /// <summary>
    /// Load only these models of the repository (default null: every model). Opening fails unless
    /// each of them loads. Cannot be combined with <see cref="RepositoryOptions.PollSeconds"/>: a
    /// watched repository serves every model it holds.
    /// </summary>
    public IReadOnlyList<string>? Models { get; init; }

    /// <summary>The schedulers' bounds: queue sizes and the memory bound of queued requests.</summary>
    public SchedulingOptions Scheduling { get; init; } = new();

    /// <summary>The clock of batching delays, queue timeouts and repository polls; default the system clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where the engine logs model loads and polls; default nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Creates the <c>Usher</c> meter (the server's metrics); default a meter of the engine's own.</summary>
    public IMeterFactory? MeterFactory { get; init; }
}
