using Microsoft.Extensions.Hosting;
using Usher.Core.Repository;

namespace Usher.Server.Hosting;

/// <summary>
/// Loads the repository in the background once the server listens, so that liveness answers at
/// once and readiness turns true when the models are loaded and warmed up.
/// </summary>
internal sealed class RepositoryLoaderService(ModelManager models) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => models.LoadAllAsync(stoppingToken);
}
