using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Hosting;
using Usher.Server.Admin;

namespace Usher.Server.Hosting;

/// <summary>Registers Usher's control plane in a host.</summary>
public static class ControlPlaneServiceCollectionExtensions
{
    /// <summary>
    /// Adds the control plane over the pieces of <c>AddUsherCore()</c>: <see cref="AdminOptions"/>
    /// with its validator (checked when the host starts), and the hosted service that opens the state
    /// file, restores route tables, pins and rollouts before the repository loads, and then runs the
    /// rollout controller (<see cref="RolloutServiceCollectionExtensions.AddRolloutController"/>,
    /// composed once the state file is open). Add it before the service that loads the repository.
    /// Everything is added with TryAdd, so a service registered first is the one used.
    /// </summary>
    public static IServiceCollection AddUsherControlPlane(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddValidatedOptions<AdminOptions, AdminOptionsValidator>();
        services.TryAddSingleton<ControlPlaneHost>();
        services.TryAddSingleton<AdminCredentials>();
        services.TryAddSingleton<AdminAudit>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ControlPlaneService>());
        return services;
    }
}
