using Microsoft.Extensions.Hosting;
using Usher.Core.Repository;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Hosting;

/// <summary>
/// Loads the repository in the background once the server listens, so that liveness answers at
/// once and readiness turns true when the models are loaded and warmed up (the REST codec first,
/// <see cref="CodecWarmup"/>, then each version's pipeline as it loads).
/// </summary>
internal sealed class RepositoryLoaderService(ModelManager models, ServerOptions options) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        CodecWarmup.Run(options.MaxTensorBytes);
        return models.LoadAllAsync(stoppingToken);
    }
}
