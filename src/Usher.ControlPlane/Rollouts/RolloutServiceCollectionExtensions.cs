using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Usher.ControlPlane.Experiments;
using Usher.ControlPlane.Faults;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Rollouts.Strategies;
using Usher.ControlPlane.Shadow;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts;

/// <summary>Registers the rollout controller and its collaborators.</summary>
internal static class RolloutServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="RolloutController"/>, its strategies (one per deployment strategy, picked by
    /// name), journal, admission, repository sync, per-endpoint gates, traffic recorder, experiment
    /// tracker, shadow supervisor, and the <see cref="FaultKeeper"/> that keeps the <c>FaultInjector</c> to
    /// the stored faults. The caller registers what the controller works on:
    /// <c>ModelManager</c>, <c>EndpointRoutes</c>, <c>InferenceRouter</c>, <c>FaultInjector</c> and <see cref="TimeProvider"/>;
    /// the <see cref="IRolloutStore"/> is the one handed to <see cref="StateStoreHolder"/> when the state
    /// store has been opened (or one the caller registers; its experiments are <see cref="IRolloutStore.Experiments"/>); optionally a <see cref="Random"/> (bandits; default
    /// <see cref="Random.Shared"/>) and logging (default: none). Everything is added with TryAdd, so an
    /// embedding application may replace any piece first.
    /// </summary>
    public static IServiceCollection AddRolloutController(this IServiceCollection services, RolloutOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(options ?? new RolloutOptions());
        services.TryAddSingleton(Random.Shared);
        services.TryAdd(ServiceDescriptor.Singleton(typeof(ILogger<>), typeof(NullLogger<>)));

        // The state file is opened when the host starts, after the container is built: the store
        // comes from the holder that the opening step fills, so nothing here can use it before then.
        services.TryAddSingleton<StateStoreHolder>();
        services.TryAddSingleton(sp => sp.GetRequiredService<StateStoreHolder>().Store);
        services.TryAddSingleton(sp => sp.GetRequiredService<IRolloutStore>().Experiments);
        services.TryAddSingleton<IFaultStore>(sp => sp.GetRequiredService<IRolloutStore>());
        services.TryAddSingleton<FaultKeeper>();

        // The recorder and the tracker read what the router observes from its bounded channel.
        services.TryAddSingleton(sp => new TrafficRecorder(
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<InferenceRouter>().Observations));
        services.TryAddSingleton(sp => new ExperimentTracker(
            sp.GetRequiredService<IExperimentStore>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<InferenceRouter>().Observations));
        services.TryAddSingleton<ShadowSupervisor>();
        services.TryAddSingleton<RouteKeeper>();
        services.TryAddSingleton<EndpointGates>();
        services.TryAddSingleton<RolloutJournal>();
        services.TryAddSingleton<RolloutTransitions>();
        services.TryAddSingleton<WindowAnalyzer>();
        services.TryAddSingleton<RolloutAdmission>();
        services.TryAddSingleton<RepositorySync>();

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRolloutStrategy, DirectStrategy>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRolloutStrategy, CanaryStrategy>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRolloutStrategy, BlueGreenStrategy>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRolloutStrategy, ShadowStrategy>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRolloutStrategy, AbStrategy>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRolloutStrategy, BanditStrategy>());
        services.TryAddSingleton<RolloutStrategies>();

        services.TryAddSingleton<RolloutController.Collaborators>();

        // The controller's constructor is internal (its collaborators are), which the container
        // cannot call by itself.
        services.TryAddSingleton(sp => new RolloutController(
            sp.GetRequiredService<RolloutController.Collaborators>(),
            sp.GetRequiredService<InferenceRouter>(),
            sp.GetRequiredService<RolloutOptions>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RolloutController>>()));
        return services;
    }
}
