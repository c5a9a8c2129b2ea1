using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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
        var metrics = routes.ServiceProvider.GetRequiredService<UsherMetrics>();
        routes.MapPrometheusScrapingEndpoint(Path, provider, app => app.Use((context, next) => AppendHistogramsAsync(context, next, metrics)), optionsName: null);
    }

    // The exporter writes the instruments; the per-version histograms, kept in VersionTotals, follow
    // them (before "# EOF" in OpenMetrics). A scrape is rare: buffering its text costs nothing that matters.
    private static async Task AppendHistogramsAsync(HttpContext context, RequestDelegate next, UsherMetrics metrics)
    {
        var body = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            context.Response.Body = body;
        }

        if (context.Response.StatusCode != StatusCodes.Status200OK)
        {
            buffer.Position = 0;
            await buffer.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var exported = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        var openMetrics = context.Response.ContentType?.Contains("openmetrics", StringComparison.OrdinalIgnoreCase) == true;
        var eof = openMetrics ? exported.LastIndexOf("# EOF", StringComparison.Ordinal) : -1;
        var text = new StringBuilder(exported.Length + 8192);
        text.Append(exported, 0, eof >= 0 ? eof : exported.Length);
        FoldedHistogramWriter.Write(text, metrics, openMetrics);
        if (eof >= 0)
        {
            text.Append(exported, eof, exported.Length - eof);
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        context.Response.ContentLength = bytes.Length;
        await body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }
}
