using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Usher.Core.Repository;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Hosting;

/// <summary>
/// Loads the repository in the background once the server listens, so that liveness answers at
/// once and readiness turns true when the models are loaded and warmed up (the REST codec first,
/// <see cref="CodecWarmup"/>, then each version's pipeline as it loads). It takes the server's
/// options through <see cref="IOptions{TOptions}"/>, so a host composed from the three extension
/// methods alone (no HTTP frontend settings) gets their defaults.
/// </summary>
internal sealed class RepositoryLoaderService(ModelManager models, IOptions<ServerOptions> options) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        CodecWarmup.Run(options.Value.MaxTensorBytes);
        return models.LoadAllAsync(stoppingToken);
    }
}
