using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Hosting;
using Usher.Server.Admin;

namespace Usher.Server.Hosting;

/// <summary>Registers Usher's control plane in a host.</summary>
internal static class ControlPlaneServiceCollectionExtensions
{
    /// <summary>
    /// Adds the control plane over the pieces of <c>AddUsherCore()</c>: <see cref="AdminOptions"/>
    /// with its validator (checked when the host starts), the rollout controller and its collaborators
    /// (<see cref="RolloutServiceCollectionExtensions.AddRolloutController"/>, ticking every
    /// <c>admin.tick_ms</c>), and the hosted service that opens the state file, hands its store to
    /// the controller's collaborators (<see cref="StateStoreHolder"/>), restores route tables, pins and
    /// rollouts before the repository loads, and then runs the controller. Add it before the service
    /// that loads the repository. Everything is added with TryAdd, so a service registered first is
    /// the one used.
    /// </summary>
    public static IServiceCollection AddUsherControlPlane(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddValidatedOptions<AdminOptions, AdminOptionsValidator>();
        services.TryAddSingleton(sp => new RolloutOptions { Tick = TimeSpan.FromMilliseconds(sp.GetRequiredService<AdminOptions>().TickMs) });
        services.AddRolloutController();
        services.TryAddSingleton<ControlPlaneHost>();
        services.TryAddSingleton<AdminCredentials>();
        services.TryAddSingleton<AdminAudit>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ControlPlaneService>());
        return services;
    }
}
