using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Usher.Streaming.Pipeline;
using Usher.Streaming.Telemetry;

namespace Usher.Streaming.Hosting;

/// <summary>Registers stream consumers in the server.</summary>
internal static class StreamingServiceCollectionExtensions
{
    /// <summary>Runs <paramref name="specs"/> in the server (nothing when empty).</summary>
    public static IServiceCollection AddUsherStreams(this IServiceCollection services, IReadOnlyList<StreamSpec> specs)
    {
        if (specs.Count == 0)
        {
            return services;
        }

        services.AddSingleton(sp => new StreamMetrics(sp.GetService<IMeterFactory>()));
        services.AddSingleton(sp => new StreamsService(specs, sp, sp.GetRequiredService<ILogger<StreamsService>>()));
        services.AddHostedService(sp => sp.GetRequiredService<StreamsService>());
        return services;
    }
}
