using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Usher.ControlPlane.Api;
using Usher.ControlPlane.Faults;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Server.Cluster;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Admin;

/// <summary>
/// Fault injection on the admin API: <c>PUT</c> and <c>DELETE /admin/endpoints/{e}/faults/{version}</c>.
/// A fault is kept in the state store (<see cref="FaultKeeper"/>): it survives a restart and, on a
/// shared database, every replica applies it; a replica that does not lead forwards the call to the
/// leader (<see cref="LeaderForwarding"/>), which writes the store and the audit trail. A fault with
/// <c>"replica": ID</c> (a clear with <c>?replica=ID</c>) is scoped to that one replica of the shared
/// state: only it applies the fault, over any fault of the same version for every replica.
/// </summary>
internal static class FaultEndpoints
{
    private const string ReplicaKey = FaultBody.ReplicaKey;

    public static void MapFaults(this RouteGroupBuilder admin)
    {
        admin.MapPut("/endpoints/{endpoint}/faults/{version}", SetFaultAsync);
        admin.MapDelete("/endpoints/{endpoint}/faults/{version}", ClearFaultAsync);
    }

    private static async Task SetFaultAsync(HttpContext context)
    {
        if (await LeaderForwarding.ForwardAsync(context).ConfigureAwait(false))
        {
            return;
        }

        using var work = LeaderForwarding.BeginHere(context);
        if (await AdminHttp.ControllerAsync(context).ConfigureAwait(false) is not { } controller
            || await VariantAsync(context).ConfigureAwait(false) is not { } target
            || await AdminHttp.ReadJsonAsync(context).ConfigureAwait(false) is not { } document)
        {
            return;
        }

        var problems = new List<string>();
        FaultSpec fault;
        string? replica;
        using (document)
        {
            (fault, replica) = FaultBody.Read(document.RootElement, problems);
        }

        if (replica is not null && await ReplicaProblemAsync(context, replica, mustBeUp: true).ConfigureAwait(false) is { } problem)
        {
            problems.Add(problem);
        }

        if (problems.Count > 0)
        {
            await AdminHttp.WriteErrorAsync(context, ControlError.Invalid("invalid fault", problems)).ConfigureAwait(false);
            return;
        }

        await context.RequestServices.GetRequiredService<FaultKeeper>().SetAsync(target.Variant, fault, AdminHttp.Actor(context), replica ?? StoredFault.EveryReplica, context.RequestAborted).ConfigureAwait(false);
        var message = string.Create(CultureInfo.InvariantCulture, $"fault set on {target.Variant}{Scope(replica)}: abort {fault.AbortFraction * 100:0.##}% with {fault.AbortStatus}, delay {fault.DelayFraction * 100:0.##}% by {fault.DelayMs} ms");
        await controller.RecordAsync(target.Endpoint, "fault", message, null, AdminHttp.Actor(context), context.RequestAborted).ConfigureAwait(false);
        await AdminHttp.WriteAsync(
            context,
            StatusCodes.Status200OK,
            new FaultAnswerDto(target.Endpoint, target.Variant, FaultDto.From(target.Variant, fault, replica)),
            AdminJsonContext.Default.FaultAnswerDto).ConfigureAwait(false);
    }

    private static async Task ClearFaultAsync(HttpContext context)
    {
        if (await LeaderForwarding.ForwardAsync(context).ConfigureAwait(false))
        {
            return;
        }

        using var work = LeaderForwarding.BeginHere(context);
        if (await AdminHttp.ControllerAsync(context).ConfigureAwait(false) is not { } controller
            || await VariantAsync(context).ConfigureAwait(false) is not { } target)
        {
            return;
        }

        // A replica's own fault is cleared by its id whether or not the replica is still up: the row of
        // one that went away stays until the leader removes it (cluster.fault_grace).
        string? replica = null;
        if (context.Request.Query.TryGetValue(ReplicaKey, out var given))
        {
            replica = given.ToString();
            if ((replica.Length == 0 ? $"{ReplicaKey}: expected a replica id (see `usher replicas`), got an empty one" : await ReplicaProblemAsync(context, replica, mustBeUp: false).ConfigureAwait(false)) is { } problem)
            {
                await AdminHttp.WriteErrorAsync(context, ControlError.Invalid("invalid fault clear", [problem])).ConfigureAwait(false);
                return;
            }
        }

        var cleared = await context.RequestServices.GetRequiredService<FaultKeeper>().ClearAsync(target.Variant, replica ?? StoredFault.EveryReplica, context.RequestAborted).ConfigureAwait(false);
        if (cleared)
        {
            await controller.RecordAsync(target.Endpoint, "fault_cleared", $"fault cleared on {target.Variant}{Scope(replica)}", null, AdminHttp.Actor(context), context.RequestAborted).ConfigureAwait(false);
        }

        await AdminHttp.WriteAsync(context, StatusCodes.Status200OK, new FaultClearedDto(target.Endpoint, target.Variant, cleared, replica), AdminJsonContext.Default.FaultClearedDto).ConfigureAwait(false);
    }

    private static string Scope(string? replica) => replica is null ? "" : $" for replica {replica} only";

    // Null when the fault may name the replica: this server shares its state, and (for a set) the
    // replica is registered and up, so that a typo is not stored as a fault nobody applies.
    private static async Task<string?> ReplicaProblemAsync(HttpContext context, string replica, bool mustBeUp)
    {
        var cluster = context.RequestServices.GetRequiredService<ControlPlaneHost>().Cluster;
        if (cluster is null)
        {
            return $"{ReplicaKey}: a fault for one replica needs the shared state (usher serve --state postgresql://...); this server keeps its state in a file and is the only replica, so leave out {ReplicaKey}";
        }

        if (!mustBeUp)
        {
            return null;
        }

        var up = (await cluster.Member.Registry.ListAsync(context.RequestAborted).ConfigureAwait(false)).Where(r => r.IsUp).Select(r => r.Id).ToList();
        return up.Contains(replica, StringComparer.Ordinal)
            ? null
            : $"{ReplicaKey}: '{replica}' is not a registered replica that is up; the replicas up are {string.Join(", ", up)} (see `usher replicas`)";
    }

    // Resolves {endpoint}/faults/{version} to a variant of the endpoint's model, answering 400/404 itself.
    private static async Task<(string Endpoint, string Variant)?> VariantAsync(HttpContext context)
    {
        var endpoint = (string)context.GetRouteValue("endpoint")!;
        var text = (string)context.GetRouteValue("version")!;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, $"version: expected a positive integer, got '{text}'").ConfigureAwait(false);
            return null;
        }

        var model = context.RequestServices.GetRequiredService<EndpointRoutes>().Find(endpoint)?.Variants[0].Model ?? endpoint;
        if (context.RequestServices.GetRequiredService<ModelManager>().Find(model) is null)
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"unknown endpoint '{endpoint}' (see `usher endpoints`)").ConfigureAwait(false);
            return null;
        }

        return (endpoint, RouteVariant.Format(model, version));
    }
}
