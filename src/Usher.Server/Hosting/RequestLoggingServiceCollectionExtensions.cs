using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Usher.Core.RequestLogging;
using Usher.Server.RequestLogging;

namespace Usher.Server.Hosting;

/// <summary>Registers request logging: the model manager opens a log for each model whose <c>config.yaml</c> has a <c>logging</c> section.</summary>
internal static class RequestLoggingServiceCollectionExtensions
{
    /// <summary>Adds the file sinks (JSONL, Parquet) and the registry of open logs (TryAdd: a test may register its own first).</summary>
    public static IServiceCollection AddUsherRequestLogging(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<IRequestLogSinkFactory, RequestLogSinkFactory>();
        services.TryAddSingleton<RequestLogs>();
        return services;
    }
}
