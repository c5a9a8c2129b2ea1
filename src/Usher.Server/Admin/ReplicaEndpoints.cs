using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Usher.ControlPlane.Api;
using Usher.ControlPlane.Cluster;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Admin;

/// <summary>
/// <c>GET /admin/replicas</c>: the registry of the shared state (<see cref="ReplicaRegistry"/>), each
/// replica with the leader flag from the election. Read-only, so whichever replica gets it answers.
/// A server that keeps its state in a file answers 404: it has no registry, and an empty list would
/// read as a cluster whose replicas are all gone.
/// </summary>
internal static class ReplicaEndpoints
{
    public static void MapReplicas(this RouteGroupBuilder admin) => admin.MapGet("/replicas", ListAsync);

    private static async Task ListAsync(HttpContext context)
    {
        // A replica registers before its controller starts: until then it answers 503, not 404.
        if (await AdminHttp.ControllerAsync(context).ConfigureAwait(false) is null)
        {
            return;
        }

        if (context.RequestServices.GetRequiredService<ControlPlaneHost>().Cluster is not { } cluster)
        {
            await HttpErrors.WriteAsync(
                context,
                StatusCodes.Status404NotFound,
                "this server keeps its state in a file and is the only replica: there is no registry of replicas (it is kept by servers started with --state postgresql://...)").ConfigureAwait(false);
            return;
        }

        var leader = await LeaderElection.CurrentLeaderAsync(cluster.Source, context.RequestAborted).ConfigureAwait(false);
        var replicas = await cluster.Member.Registry.ListAsync(context.RequestAborted).ConfigureAwait(false);
        await AdminHttp.WriteAsync(
            context,
            StatusCodes.Status200OK,
            new ReplicaListDto([.. replicas.Select(r => ReplicaDto.From(r, leader))], cluster.Member.Identity.Id),
            AdminJsonContext.Default.ReplicaListDto).ConfigureAwait(false);
    }
}
