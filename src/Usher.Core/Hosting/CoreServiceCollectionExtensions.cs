using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Core.Scheduling;
using Usher.Core.Telemetry;

namespace Usher.Core.Hosting;

/// <summary>Registers the pieces of Usher's serving core, as the server and an embedding application compose them.</summary>
internal static class CoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds the model manager over the registered <c>IModelBackend</c> (<c>AddOnnxBackend()</c>), its
    /// scheduling context and metrics, the endpoints' route tables, fault injection, the shadow
    /// mirror and the inference router; the options <see cref="RepositoryOptions"/>,
    /// <see cref="SchedulingOptions"/> and <see cref="RoutingOptions"/> with their validators, checked
    /// when the host starts (<c>ValidateOnStart</c>); and <see cref="TimeProvider.System"/>.
    /// The caller configures the options (<c>services.AddOptions&lt;RepositoryOptions&gt;().Bind(...)</c>
    /// or <c>.Configure(...)</c>). Everything is added with TryAdd, so a service registered first
    /// (a fake clock, another backend) is the one used.
    /// </summary>
    public static IServiceCollection AddUsherCore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddValidatedOptions<RepositoryOptions, RepositoryOptionsValidator>();
        services.AddValidatedOptions<SchedulingOptions, SchedulingOptionsValidator>();
        services.AddValidatedOptions<RoutingOptions, RoutingOptionsValidator>();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<UsherMetrics>();
        services.TryAddSingleton<SchedulingContext>();
        services.TryAddSingleton<ModelManager>();
        services.TryAddSingleton<EndpointRoutes>();
        services.TryAddSingleton<FaultInjector>();
        services.TryAddSingleton<ShadowMirror>();
        services.TryAddSingleton<InferenceRouter>();
        return services;
    }

    /// <summary>Makes <paramref name="instance"/> the value of options <typeparamref name="TOptions"/> (validated like any other).</summary>
    internal static IServiceCollection AddOptionsInstance<TOptions>(this IServiceCollection services, TOptions instance)
        where TOptions : class
    {
        services.AddSingleton<IOptionsFactory<TOptions>>(sp => new InstanceOptionsFactory<TOptions>(
            instance,
            sp.GetServices<IConfigureOptions<TOptions>>(),
            sp.GetServices<IPostConfigureOptions<TOptions>>(),
            sp.GetServices<IValidateOptions<TOptions>>()));
        return services;
    }

    /// <summary>
    /// Adds options <typeparamref name="TOptions"/> checked by <typeparamref name="TValidator"/> when the
    /// host starts, and the options' value itself as a service, for the constructors that take it.
    /// </summary>
    internal static IServiceCollection AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
        services.TryAddSingleton(static sp =>
        {
            // The host builds its hosted services, and so the options values their constructors
            // take, before it runs the start-up validation: validating every options type here,
            // first, keeps "every problem together" rather than the first value's problems alone.
            sp.GetService<IStartupValidator>()?.Validate();
            return sp.GetRequiredService<IOptions<TOptions>>().Value;
        });
        return services;
    }
}
