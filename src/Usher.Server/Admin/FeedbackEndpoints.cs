using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Usher.ControlPlane.Api;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Experiments;
using Usher.ControlPlane.Rollouts;
using Usher.Server.Access;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Admin;

/// <summary>
/// Experiments over HTTP: clients report outcomes on the data plane
/// (<c>POST /v2/endpoints/{e}/feedback</c>, no admin token: the application that served the user
/// reports), operators read results on the admin API (<c>GET /admin/endpoints/{e}/experiment</c>).
/// </summary>
internal static class FeedbackEndpoints
{
    /// <summary>Items accepted in one batch.</summary>
    public const int MaxBatch = 10_000;

    private static readonly string[] ItemKeys = ["id", "key", "metric", "value"];

    public static void MapUsherFeedback(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v2/endpoints/{endpoint}/feedback", FeedbackAsync).RequireApiKey();
        routes.MapGroup("/admin").RequireAdminAccess().MapGet("/endpoints/{endpoint}/experiment", ExperimentAsync);
    }

    private static async Task FeedbackAsync(HttpContext context)
    {
        if (await AdminHttp.ControllerAsync(context).ConfigureAwait(false) is not { } controller
            || await AdminHttp.ReadJsonAsync(context).ConfigureAwait(false) is not { } document)
        {
            return;
        }

        var endpoint = (string)context.GetRouteValue("endpoint")!;
        using (document)
        {
            var root = document.RootElement;
            var batch = root.ValueKind == JsonValueKind.Array;
            if (!batch && root.ValueKind != JsonValueKind.Object)
            {
                await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "expected {\"id\": REQUEST_ID, \"metric\": NAME, \"value\": NUMBER} (or \"key\": ROUTING_KEY instead of \"id\"), or a list of them").ConfigureAwait(false);
                return;
            }

            if (controller.Experiments.Running(endpoint) is not { } running)
            {
                await HttpErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"endpoint '{endpoint}' has no running experiment; start one with `usher deploy {endpoint} --strategy ab --variants 1:50,2:50`").ConfigureAwait(false);
                return;
            }

            var elements = batch ? [.. root.EnumerateArray()] : new List<JsonElement> { root };
            if (elements.Count > MaxBatch)
            {
                await HttpErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, $"{elements.Count} items in one batch; send at most {MaxBatch}").ConfigureAwait(false);
                return;
            }

            var problems = new string?[elements.Count];
            var items = new List<FeedbackItem>(elements.Count);
            for (var i = 0; i < elements.Count; i++)
            {
                (var item, problems[i]) = Read(elements[i], running.Spec.Metric);
                items.Add(item);
            }

            var results = await controller.Experiments.RecordAsync(endpoint, items, context.RequestAborted).ConfigureAwait(false);
            if (results is null)
            {
                await HttpErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"the experiment on '{endpoint}' has just ended").ConfigureAwait(false);
                return;
            }

            var answers = results.Select((r, i) => problems[i] is { } p ? new FeedbackResult(FeedbackStatus.Invalid, null, p) : r).ToList();
            if (!batch)
            {
                var answer = answers[0];
                var status = answer.Status switch
                {
                    FeedbackStatus.Pending => StatusCodes.Status202Accepted,
                    FeedbackStatus.Unknown => StatusCodes.Status404NotFound,
                    FeedbackStatus.Invalid => StatusCodes.Status400BadRequest,
                    _ => StatusCodes.Status200OK,
                };
                await AdminHttp.WriteAsync(context, status, Answer(answer, null), AdminJsonContext.Default.FeedbackAnswerDto).ConfigureAwait(false);
                return;
            }

            int Count(FeedbackStatus status) => answers.Count(a => a.Status == status);
            var batchAnswer = new FeedbackBatchDto(
                Count(FeedbackStatus.Recorded),
                Count(FeedbackStatus.Pending),
                Count(FeedbackStatus.Duplicate),
                Count(FeedbackStatus.Unknown),
                Count(FeedbackStatus.Invalid),
                [.. answers.Select((a, i) => Answer(a, i))]);
            await AdminHttp.WriteAsync(context, StatusCodes.Status200OK, batchAnswer, AdminJsonContext.Default.FeedbackBatchDto).ConfigureAwait(false);
        }
    }

    private static async Task ExperimentAsync(HttpContext context)
    {
        if (await AdminHttp.ControllerAsync(context).ConfigureAwait(false) is not { } controller)
        {
            return;
        }

        var endpoint = (string)context.GetRouteValue("endpoint")!;
        if (await controller.ExperimentAsync(endpoint, context.RequestAborted).ConfigureAwait(false) is not var (rollout, report))
        {
            await AdminHttp.WriteErrorAsync(context, ControlError.NotFound($"endpoint '{endpoint}' has never run an experiment; start one with `usher deploy {endpoint} --strategy ab --variants 1:50,2:50`")).ConfigureAwait(false);
            return;
        }

        var answer = ExperimentReportDto.From(endpoint, rollout.Id, DeploymentSpecWriter.StrategyName(rollout.Spec.Strategy), RolloutText.Phase(rollout.Phase), report);
        await AdminHttp.WriteAsync(context, StatusCodes.Status200OK, answer, AdminJsonContext.Default.ExperimentReportDto).ConfigureAwait(false);
    }

    private static (FeedbackItem Item, string? Problem) Read(JsonElement element, string defaultMetric)
    {
        var empty = new FeedbackItem(null, null, defaultMetric, 0);
        if (element.ValueKind != JsonValueKind.Object)
        {
            return (empty, $"expected an object with id (or key), metric and value, got {element.ValueKind}");
        }

        foreach (var property in element.EnumerateObject().Where(p => !ItemKeys.Contains(p.Name, StringComparer.Ordinal)))
        {
            return (empty, $"{property.Name}: unknown key; expected {string.Join(", ", ItemKeys)}");
        }

        string? Text(string key) => element.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null
            ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Number => v.GetRawText(),
                _ => "",
            }
            : null;

        var id = Text("id");
        var key = Text("key");
        var metric = Text("metric") ?? defaultMetric;
        if (id == "" || key == "" || metric == "")
        {
            return (empty, "id, key and metric must be strings");
        }

        if (!element.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number))
        {
            return (empty, "value: required, a number (0 or 1 for a binary metric)");
        }

        return (new FeedbackItem(id, key, metric, number), null);
    }

    private static FeedbackAnswerDto Answer(FeedbackResult result, int? index)
        => new(index, Name(result.Status), result.Version, result.Message);

    private static string Name(FeedbackStatus status) => status.ToString().ToLower(CultureInfo.InvariantCulture);
}
