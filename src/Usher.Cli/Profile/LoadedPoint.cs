using Microsoft.AspNetCore.Builder;
using Usher.Core.Models;

namespace Usher.Cli.Profile;

/// <summary>A point's version served by a server of its own in this process, with the memory readings around the load.</summary>
/// <param name="Server">The server (Kestrel on loopback, port 0) over the point's scratch repository.</param>
/// <param name="Url">The server's REST base URL.</param>
/// <param name="GrpcUrl">The server's gRPC address; null when gRPC is off.</param>
/// <param name="Config">The point, with the default's effective instances, threads and batch size filled in.</param>
/// <param name="Signature">The version's inputs, outputs and <c>max_batch_size</c>.</param>
/// <param name="RssBefore">This process's RSS before the load, bytes.</param>
/// <param name="RssLoaded">RSS once the version was loaded and warmed up, bytes.</param>
internal sealed record LoadedPoint(WebApplication Server, Uri Url, Uri? GrpcUrl, PointConfig Config, ModelSignature Signature, long RssBefore, long RssLoaded) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Server.StopAsync().ConfigureAwait(false);
        await Server.DisposeAsync().ConfigureAwait(false);
    }
}
