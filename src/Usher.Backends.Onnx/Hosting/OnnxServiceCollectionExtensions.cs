using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Usher.Core.Backends;

namespace Usher.Backends.Onnx.Hosting;

/// <summary>Registers the ONNX Runtime backend.</summary>
internal static class OnnxServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="OnnxBackend"/> as the <see cref="IModelBackend"/> the model manager runs models
    /// on (<c>AddUsherCore()</c>), with TryAdd: a backend registered first is kept.
    /// </summary>
    public static IServiceCollection AddOnnxBackend(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<IModelBackend, OnnxBackend>();
        return services;
    }
}
