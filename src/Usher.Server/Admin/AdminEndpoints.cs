using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Admin;

/// <summary>The admin API (docs/admin-api.md): endpoints, deployments, rollout actions, history, faults.</summary>
internal static class AdminEndpoints
{
    private const long MaxBodyBytes = 1024 * 1024;
    private static readonly string[] FaultKeys = ["abort_fraction", "abort_status", "delay_ms", "delay_fraction"];

    public static void MapUsherAdmin(this IEndpointRouteBuilder routes)
    {
        // Protected by endpoint, so every spelling routing accepts (/ADMIN, /Admin/) is protected too.
        var admin = routes.MapGroup("/admin").RequireAdminAccess();
        admin.MapGet("/endpoints", ListEndpointsAsync);
        admin.MapPost("/deployments", DeployAsync);
        admin.MapGet("/endpoints/{endpoint}/rollout", StatusAsync);
        admin.MapPost("/endpoints/{endpoint}/rollout/{action}", ActAsync);
        admin.MapGet("/endpoints/{endpoint}/history", HistoryAsync);
        admin.MapPut("/endpoints/{endpoint}/faults/{version}", SetFaultAsync);
        admin.MapDelete("/endpoints/{endpoint}/faults/{version}", ClearFaultAsync);
    }

    private static async Task ListEndpointsAsync(HttpContext context)
    {
        if (await ControllerAsync(context).ConfigureAwait(false) is not { } controller)
        {
            return;
        }

        var routes = context.RequestServices.GetRequiredService<EndpointRoutes>();
        var faults = context.RequestServices.GetRequiredService<FaultInjector>().Faults;
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("endpoints");
            foreach (var table in routes.Tables.Values.OrderBy(t => t.Endpoint, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("name", table.Endpoint);
                w.WriteStartArray("variants");
                foreach (var v in table.Variants)
                {
                    w.WriteStartObject();
                    w.WriteString("model", v.Model);
                    w.WriteNumber("version", v.Version);
                    w.WriteNumber("weight", v.Weight);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                if (controller.Active.TryGetValue(table.Endpoint, out var rollout))
                {
                    w.WriteStartObject("rollout");
                    w.WriteNumber("id", rollout.Id);
                    w.WriteString("strategy", DeploymentSpecWriter.StrategyName(rollout.Spec.Strategy));
                    w.WriteString("phase", RolloutText.Phase(rollout.Phase));
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteNull("rollout");
                }

                w.WriteStartArray("faults");
                foreach (var (variant, fault) in faults.Where(f => table.Variants.Any(v => f.Key.StartsWith(v.Model + ":", StringComparison.Ordinal))))
                {
                    AdminJson.WriteFault(w, variant, fault);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();

            // Stored state that start-up did not resume because the repository lacks what it names.
            w.WriteStartArray("stale");
            foreach (var stale in context.RequestServices.GetRequiredService<ControlPlaneHost>().Stale)
            {
                w.WriteStartObject();
                w.WriteString("endpoint", stale.Endpoint);
                w.WriteString("kind", stale.Kind);
                w.WriteString("message", stale.Message);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static async Task DeployAsync(HttpContext context)
    {
        if (await DryRunAsync(context).ConfigureAwait(false) is not { } dryRun)
        {
            return;
        }

        // A dry run only parses: it needs no controller and starts nothing.
        RolloutController? controller = null;
        if ((!dryRun && (controller = await ControllerAsync(context).ConfigureAwait(false)) is null)
            || await ReadJsonAsync(context).ConfigureAwait(false) is not { } document)
        {
            return;
        }

        using (document)
        {
            var parsed = DeploymentSpecParser.Parse(document.RootElement);
            if (parsed.Spec is null)
            {
                await WriteErrorAsync(context, ControlError.Invalid("invalid deployment spec", parsed.Problems)).ConfigureAwait(false);
                return;
            }

            if (dryRun)
            {
                await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
                {
                    w.WriteStartObject();
                    w.WriteBoolean("dry_run", true);
                    w.WritePropertyName("spec");
                    DeploymentSpecWriter.Write(w, parsed.Spec);
                    w.WriteEndObject();
                }).ConfigureAwait(false);
                return;
            }

            var result = await controller!.DeployAsync(parsed.Spec, "operator", context.RequestAborted).ConfigureAwait(false);
            await WriteRolloutAsync(context, result, StatusCodes.Status201Created).ConfigureAwait(false);
        }
    }

    // ?dry_run=true validates the spec and answers it normalized; absent or false deploys.
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
        if (await ControllerAsync(context).ConfigureAwait(false) is not { } controller)
        {
            return;
        }

        var endpoint = (string)context.GetRouteValue("endpoint")!;
        var rollout = await controller.StatusAsync(endpoint, context.RequestAborted).ConfigureAwait(false);
        await WriteRolloutAsync(
            context,
            rollout is null ? ControlError.NotFound($"endpoint '{endpoint}' has never had a rollout; start one with `usher deploy {endpoint} --version V --strategy canary`") : ControlResult<Rollout>.Success(rollout),
            StatusCodes.Status200OK).ConfigureAwait(false);
    }

    private static async Task ActAsync(HttpContext context)
    {
        if (await ControllerAsync(context).ConfigureAwait(false) is not { } controller)
        {
            return;
        }

        var endpoint = (string)context.GetRouteValue("endpoint")!;
        var action = (string)context.GetRouteValue("action")!;
        string? reason = null;
        long? version = null;
        if (context.Request.ContentLength is > 0)
        {
            if (await ReadJsonAsync(context).ConfigureAwait(false) is not { } document)
            {
                return;
            }

            using (document)
            {
                if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String)
                {
                    reason = r.GetString();
                }

                if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("version", out var v))
                {
                    if (!v.TryGetInt64(out var chosen) || chosen < 1)
                    {
                        await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, $"version: expected a positive integer, got {v}").ConfigureAwait(false);
                        return;
                    }

                    version = chosen;
                }
            }
        }

        var ct = context.RequestAborted;
        var result = action switch
        {
            "promote" => await controller.PromoteAsync(endpoint, reason, version, ct).ConfigureAwait(false),
            "pause" => await controller.PauseAsync(endpoint, reason, ct).ConfigureAwait(false),
            "resume" => await controller.ResumeAsync(endpoint, reason, ct).ConfigureAwait(false),
            "rollback" => await controller.RollbackAsync(endpoint, reason, ct).ConfigureAwait(false),
            _ => ControlError.NotFound($"unknown rollout action '{action}' (expected promote, pause, resume or rollback)"),
        };
        await WriteRolloutAsync(context, result, StatusCodes.Status200OK).ConfigureAwait(false);
    }

    private static async Task HistoryAsync(HttpContext context)
    {
        if (await ControllerAsync(context).ConfigureAwait(false) is not { } controller)
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
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("endpoint", endpoint);
            w.WriteStartArray("events");
            foreach (var e in events)
            {
                AdminJson.WriteEvent(w, e);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static async Task SetFaultAsync(HttpContext context)
    {
        if (await ControllerAsync(context).ConfigureAwait(false) is not { } controller
            || await VariantAsync(context).ConfigureAwait(false) is not { } target
            || await ReadJsonAsync(context).ConfigureAwait(false) is not { } document)
        {
            return;
        }

        FaultSpec fault;
        var problems = new List<string>();
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                await WriteErrorAsync(context, ControlError.Invalid("invalid fault", ["expected a JSON object with abort_fraction, abort_status, delay_ms, delay_fraction"])).ConfigureAwait(false);
                return;
            }

            problems.AddRange(root.EnumerateObject().Where(p => !FaultKeys.Contains(p.Name)).Select(p => $"{p.Name}: unknown key; expected one of {string.Join(", ", FaultKeys)}"));
            fault = new FaultSpec(
                Number(root, "abort_fraction", 0, problems),
                (int)Number(root, "abort_status", 503, problems),
                Number(root, "delay_ms", 0, problems),
                Number(root, "delay_fraction", 0, problems));
        }

        problems.AddRange(fault.Problems());
        if (problems.Count > 0)
        {
            await WriteErrorAsync(context, ControlError.Invalid("invalid fault", problems)).ConfigureAwait(false);
            return;
        }

        context.RequestServices.GetRequiredService<FaultInjector>().Set(target.Variant, fault);
        var message = string.Create(CultureInfo.InvariantCulture, $"fault set on {target.Variant}: abort {fault.AbortFraction * 100:0.##}% with {fault.AbortStatus}, delay {fault.DelayFraction * 100:0.##}% by {fault.DelayMs} ms");
        await controller.RecordAsync(target.Endpoint, "fault", message, null, context.RequestAborted).ConfigureAwait(false);
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("endpoint", target.Endpoint);
            w.WriteString("variant", target.Variant);
            w.WritePropertyName("fault");
            AdminJson.WriteFault(w, target.Variant, fault);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static async Task ClearFaultAsync(HttpContext context)
    {
        if (await ControllerAsync(context).ConfigureAwait(false) is not { } controller || await VariantAsync(context).ConfigureAwait(false) is not { } target)
        {
            return;
        }

        var cleared = context.RequestServices.GetRequiredService<FaultInjector>().Clear(target.Variant);
        if (cleared)
        {
            await controller.RecordAsync(target.Endpoint, "fault_cleared", $"fault cleared on {target.Variant}", null, context.RequestAborted).ConfigureAwait(false);
        }

        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("endpoint", target.Endpoint);
            w.WriteString("variant", target.Variant);
            w.WriteBoolean("cleared", cleared);
            w.WriteEndObject();
        }).ConfigureAwait(false);
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

    private static double Number(JsonElement root, string key, double fallback, List<string> problems)
    {
        if (!root.TryGetProperty(key, out var node) || node.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        if (node.ValueKind == JsonValueKind.Number && node.TryGetDouble(out var value))
        {
            return value;
        }

        problems.Add($"{key}: expected a number, got {node}");
        return fallback;
    }

    internal static async Task<RolloutController?> ControllerAsync(HttpContext context)
    {
        var controller = context.RequestServices.GetRequiredService<ControlPlaneHost>().Controller;
        if (controller is null)
        {
            context.Response.Headers.RetryAfter = "1";
            await HttpErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "the control plane is starting (the repository is still loading); retry shortly").ConfigureAwait(false);
        }

        return controller;
    }

    internal static async Task<JsonDocument?> ReadJsonAsync(HttpContext context)
    {
        using var body = await RequestBody.ReadAsync(context.Request, MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, $"the body is larger than {MaxBodyBytes} bytes").ConfigureAwait(false);
            return null;
        }

        try
        {
            return JsonDocument.Parse(body.Memory.ToArray());
        }
        catch (JsonException e)
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, $"the body is not valid JSON: {e.Message}").ConfigureAwait(false);
            return null;
        }
    }

    private static Task WriteRolloutAsync(HttpContext context, ControlResult<Rollout> result, int status)
        => result.IsSuccess
            ? JsonResponse.WriteAsync(context, status, w => AdminJson.WriteRollout(w, result.Value))
            : WriteErrorAsync(context, result.Error);

    internal static Task WriteErrorAsync(HttpContext context, ControlError error)
    {
        var status = error.Kind switch
        {
            ControlErrorKind.Invalid => StatusCodes.Status400BadRequest,
            ControlErrorKind.NotFound => StatusCodes.Status404NotFound,
            _ => StatusCodes.Status409Conflict,
        };
        return JsonResponse.WriteAsync(context, status, w =>
        {
            w.WriteStartObject();
            w.WriteString("error", error.Problems.Count == 0 ? error.Message : $"{error.Message}: {string.Join("; ", error.Problems)}");
            if (error.Problems.Count > 0)
            {
                w.WriteStartArray("problems");
                foreach (var p in error.Problems)
                {
                    w.WriteStringValue(p);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        });
    }
}
