using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Usher.Core.Telemetry;

namespace Usher.Server.Telemetry;

/// <summary>Usher's metrics in the container and their Prometheus text exposition at <c>GET /metrics</c> (docs/metrics.md).</summary>
internal static class MetricsRegistration
{
    public const string Path = "/metrics";

    public static IServiceCollection AddUsherMetrics(this IServiceCollection services)
    {
        // UsherMetrics takes the host's IMeterFactory, so the meter goes with the container.
        services.TryAddSingleton<UsherMetrics>();
        services.AddSingleton(sp =>
        {
            // Resolving UsherMetrics first makes its instruments exist before the first scrape, so
            // /metrics lists every series' metadata even before a model has served a request.
            sp.GetRequiredService<UsherMetrics>();
            return Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(r => r.AddService("usher"))
                .AddMeter(UsherMetrics.MeterName)
                // No response cache (the exporter's default is 300 ms): a scrape sees every value
                // recorded before it, and Prometheus scrapes seconds apart anyway.
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)
                .Build();
        });
        return services;
    }

    public static void MapUsherMetrics(this IEndpointRouteBuilder routes)
    {
        var provider = routes.ServiceProvider.GetRequiredService<MeterProvider>();
        routes.MapPrometheusScrapingEndpoint(Path, provider, configureBranchedPipeline: null, optionsName: null);
    }
}
