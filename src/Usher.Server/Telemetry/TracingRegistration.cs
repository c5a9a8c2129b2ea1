using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Usher.Core.Telemetry;

namespace Usher.Server.Telemetry;

/// <summary>
/// Traces exported over OTLP (docs/observability.md), configured by the standard
/// <c>OTEL_EXPORTER_OTLP_*</c> variables and off when none is set: then no tracer listens, and the
/// request path builds no span. The tracer takes Usher's spans (<see cref="UsherActivities"/>) and the
/// HTTP and gRPC server spans of ASP.NET Core, which take a client's W3C <c>traceparent</c> as parent.
/// </summary>
internal static class TracingRegistration
{
    /// <summary>The prefix of the variables that configure the OTLP exporter.</summary>
    public const string ExporterPrefix = "OTEL_EXPORTER_OTLP_";

    /// <summary>
    /// Whether <paramref name="configuration"/> (the host's: environment variables included) sets an
    /// <c>OTEL_EXPORTER_OTLP_*</c> key, and neither <c>OTEL_SDK_DISABLED=true</c> nor
    /// <c>OTEL_TRACES_EXPORTER=none</c> turns traces off.
    /// </summary>
    public static bool IsConfigured(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (string.Equals(configuration["OTEL_SDK_DISABLED"], "true", StringComparison.OrdinalIgnoreCase)
            || string.Equals(configuration["OTEL_TRACES_EXPORTER"], "none", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return configuration.AsEnumerable().Any(
            kv => kv.Key.StartsWith(ExporterPrefix, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(kv.Value));
    }

    public static IServiceCollection AddUsherTracing(this IServiceCollection services, IConfiguration configuration)
    {
        if (!IsConfigured(configuration))
        {
            return services;
        }

        // The exporter reads its endpoint, protocol, headers and timeout, and the batch processor its
        // delays, from the same configuration (OTEL_EXPORTER_OTLP_*, OTEL_BSP_*); OTEL_SERVICE_NAME
        // and OTEL_RESOURCE_ATTRIBUTES name the service, "usher" by default.
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(configuration["OTEL_SERVICE_NAME"] ?? "usher"))
            .WithTracing(tracing => tracing
                .AddSource(UsherActivities.SourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = Traced)
                .AddOtlpExporter());
        return services;
    }

    // Scrapes and probes come every few seconds and say nothing about requests: not traced.
    private static bool Traced(HttpContext context)
    {
        var path = context.Request.Path;
        return !path.StartsWithSegments(MetricsRegistration.Path, StringComparison.OrdinalIgnoreCase)
            && !path.StartsWithSegments("/v2/health", StringComparison.OrdinalIgnoreCase)
            && !path.StartsWithSegments("/grpc.health.v1.Health", StringComparison.OrdinalIgnoreCase);
    }
}
