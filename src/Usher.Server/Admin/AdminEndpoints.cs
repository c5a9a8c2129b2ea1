using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Usher.ControlPlane.Api;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Faults;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Routing;
using Usher.Server.Cluster;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Admin;

/// <summary>
/// The admin API (docs/admin-api.md): endpoints, deployments, rollout actions and history here,
/// faults in <see cref="FaultEndpoints"/>, the replicas in <see cref="ReplicaEndpoints"/>, the experiment in <see cref="FeedbackEndpoints"/>. Answers
/// are the DTOs of <see cref="AdminJsonContext"/>, shared with the CLI.
/// </summary>
internal static class AdminEndpoints
{
    public static void MapUsherAdmin(this IEndpointRouteBuilder routes)
    {
        // Protected by endpoint, so every spelling routing accepts (/ADMIN, /Admin/) is protected too.
        var admin = routes.MapGroup("/admin").RequireAdminAccess();
        admin.MapGet("/endpoints", ListEndpointsAsync);
        admin.MapPost("/deployments", DeployAsync);
        admin.MapGet("/endpoints/{endpoint}/rollout", StatusAsync);
        admin.MapPost("/endpoints/{endpoint}/rollout/{action}", ActAsync);
        admin.MapGet("/endpoints/{endpoint}/history", HistoryAsync);
        admin.MapFaults();
        admin.MapReplicas();
    }

    private static async Task ListEndpointsAsync(HttpContext context)
    {
        if (await AdminHttp.ControllerAsync(context).ConfigureAwait(false) is not { } controller)
        {
            return;
        }

        var routes = context.RequestServices.GetRequiredService<EndpointRoutes>();
        // Every stored fault with its scope (one replica's too, wherever the listing is asked).
        var faults = context.RequestServices.GetRequiredService<FaultKeeper>().Stored;
        var endpoints = routes.Tables.Values.OrderBy(t => t.Endpoint, StringComparer.Ordinal).Select(table => new EndpointDto(
            table.Endpoint,
            [.. table.Variants.Select(v => new VariantDto(v.Model, v.Version, v.Weight))],
            controller.Active.TryGetValue(table.Endpoint, out var rollout)
                ? new RolloutSummaryDto(rollout.Id, DeploymentSpecWriter.StrategyName(rollout.Spec.Strategy), RolloutText.Phase(rollout.Phase))
                : null,
            [.. faults
                .Where(f => table.Variants.Any(v => f.Variant.StartsWith(v.Model + ":", StringComparison.Ordinal)))
                .Select(f => FaultDto.From(f.Variant, f.Fault, f.Replica == StoredFault.EveryReplica ? null : f.Replica))]));

        // Stored state that start-up did not resume because the repository lacks what it names.
        var stale = context.RequestServices.GetRequiredService<ControlPlaneHost>().Stale.Select(s => new StaleStateDto(s.Endpoint, s.Kind, s.Message));
        await AdminHttp.WriteAsync(context, StatusCodes.Status200OK, new EndpointListDto([.. endpoints], [.. stale]), AdminJsonContext.Default.EndpointListDto).ConfigureAwait(false);
    }

    private static async Task DeployAsync(HttpContext context)
    {
        if (await DryRunAsync(context).ConfigureAwait(false) is not { } dryRun
            || (!dryRun && await LeaderForwarding.ForwardAsync(context).ConfigureAwait(false)))
        {
            return;
        }

        using var work = LeaderForwarding.BeginHere(context);
        if (await AdminHttp.ControllerAsync(context).ConfigureAwait(false) is not { } controller
            || await AdminHttp.ReadJsonAsync(context).ConfigureAwait(false) is not { } document)
        {
            return;
        }

        using (document)
        {
            var parsed = DeploymentSpecParser.Parse(document.RootElement);
            if (parsed.Spec is null)
            {
                await AdminHttp.WriteErrorAsync(context, ControlError.Invalid("invalid deployment spec", parsed.Problems)).ConfigureAwait(false);
                return;
            }

            if (dryRun)
            {
                // The checks a start makes before it stores anything; nothing starts.
                var checkedSpec = controller.Check(parsed.Spec);
                if (!checkedSpec.IsSuccess)
                {
                    await AdminHttp.WriteErrorAsync(context, checkedSpec.Error!).ConfigureAwait(false);
                    return;
                }

                // The spec as parsed and normalized (what `usher deploy` checks offline), not as admitted.
                using var spec = JsonDocument.Parse(DeploymentSpecWriter.ToJson(parsed.Spec));
                await AdminHttp.WriteAsync(context, StatusCodes.Status200OK, new DryRunDto(true, spec.RootElement), AdminJsonContext.Default.DryRunDto).ConfigureAwait(false);
                return;
            }

            context.Items[AdminAudit.TargetKey] = parsed.Spec.Endpoint;
            var result = await controller.DeployAsync(parsed.Spec, AdminHttp.Actor(context), context.RequestAborted).ConfigureAwait(false);
            await AdminHttp.WriteRolloutAsync(context, result, StatusCodes.Status201Created).ConfigureAwait(false);
        }
    }

    // ?dry_run=true checks the spec and answers it normalized; absent or false deploys.
    private static async Task<bool?> DryRunAsync(HttpContext context)
    {
        if (!context.Request.Query.TryGetValue("dry_run", out var text))
        {
            return false;
        }

        if (bool.TryParse(text, out var dryRun))
        {
            return dryRun;
        }

        await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, $"dry_run: expected true or false, got '{text}'").ConfigureAwait(false);
        return null;
    }

    private static async Task StatusAsync(HttpContext context)
    {
        if (await AdminHttp.ControllerAsync(context).ConfigureAwait(false) is not { } controller)
        {
            return;
        }

        var endpoint = (string)context.GetRouteValue("endpoint")!;
        var rollout = await controller.StatusAsync(endpoint, context.RequestAborted).ConfigureAwait(false);
        await AdminHttp.WriteRolloutAsync(
            context,
            rollout is null ? ControlError.NotFound($"endpoint '{endpoint}' has never had a rollout; start one with `usher deploy {endpoint} --version V --strategy canary`") : ControlResult<Rollout>.Success(rollout),
            StatusCodes.Status200OK).ConfigureAwait(false);
    }

    private static async Task ActAsync(HttpContext context)
    {
        if (await LeaderForwarding.ForwardAsync(context).ConfigureAwait(false))
        {
            return;
        }

        using var work = LeaderForwarding.BeginHere(context);
        if (await AdminHttp.ControllerAsync(context).ConfigureAwait(false) is not { } controller)
        {
            return;
        }

        var endpoint = (string)context.GetRouteValue("endpoint")!;
        var action = (string)context.GetRouteValue("action")!;
        var body = new RolloutActionDto(null, null);
        // A body with a length, or a chunked one (HttpClient's JsonContent sends no length): both are read.
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? context.Request.ContentLength is > 0)
        {
            if (await AdminHttp.ReadJsonAsync(context).ConfigureAwait(false) is not { } document)
            {
                return;
            }

            using (document)
            {
                try
                {
                    body = document.RootElement.Deserialize(AdminJsonContext.Default.RolloutActionDto) ?? body;
                }
                catch (JsonException e)
                {
                    await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, $"expected {{\"reason\": TEXT}} (and for an experiment's promote \"version\": V), got {document.RootElement}: {e.Message}").ConfigureAwait(false);
                    return;
                }
            }

            if (body.Version is < 1)
            {
                await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, $"version: expected a positive integer, got {body.Version}").ConfigureAwait(false);
                return;
            }
        }

        var (reason, version, actor, ct) = (body.Reason, body.Version, AdminHttp.Actor(context), context.RequestAborted);
        var result = action switch
        {
            "promote" => await controller.PromoteAsync(endpoint, reason, version, actor, ct).ConfigureAwait(false),
            "pause" => await controller.PauseAsync(endpoint, reason, actor, ct).ConfigureAwait(false),
            "resume" => await controller.ResumeAsync(endpoint, reason, actor, ct).ConfigureAwait(false),
            "rollback" => await controller.RollbackAsync(endpoint, reason, actor, ct).ConfigureAwait(false),
            _ => ControlError.NotFound($"unknown rollout action '{action}' (expected promote, pause, resume or rollback)"),
        };
        await AdminHttp.WriteRolloutAsync(context, result, StatusCodes.Status200OK).ConfigureAwait(false);
    }

    private static async Task HistoryAsync(HttpContext context)
    {
        if (await AdminHttp.ControllerAsync(context).ConfigureAwait(false) is not { } controller)
        {
            return;
        }

        var endpoint = (string)context.GetRouteValue("endpoint")!;
        var limit = 1000;
        if (context.Request.Query.TryGetValue("limit", out var text)
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1))
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, $"limit: expected a positive integer, got '{text}'").ConfigureAwait(false);
            return;
        }

        var events = await controller.HistoryAsync(endpoint, limit, context.RequestAborted).ConfigureAwait(false);
        await AdminHttp.WriteAsync(context, StatusCodes.Status200OK, new HistoryDto(endpoint, [.. events.Select(EventDto.From)]), AdminJsonContext.Default.HistoryDto).ConfigureAwait(false);
    }
}
