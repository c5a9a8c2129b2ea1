using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Usher.Core.Repository;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Triton's model repository extension: <c>POST /v2/repository/index</c> lists every model with its
/// state; <c>.../models/{m}/load</c> loads or reloads a model from disk; <c>.../unload</c> unloads it
/// after its in-flight requests finish.
/// </summary>
internal static class RepositoryEndpoints
{
    public static async Task IndexAsync(HttpContext context)
    {
        var models = context.RequestServices.GetRequiredService<ModelManager>();
        var readyOnly = false;
        using (var body = await RequestBody.ReadAsync(context.Request, 64 * 1024, context.RequestAborted).ConfigureAwait(false))
        {
            if (body is null)
            {
                await HttpErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "repository index: the body must be a small JSON object such as {\"ready\": true}").ConfigureAwait(false);
                return;
            }

            if (body.Length > 0)
            {
                try
                {
                    using var doc = JsonDocument.Parse(body.Memory);
                    if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    {
                        await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "repository index: expected a JSON object such as {\"ready\": true}").ConfigureAwait(false);
                        return;
                    }

                    if (doc.RootElement.TryGetProperty("ready", out var ready))
                    {
                        if (ready.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                        {
                            await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, $"repository index: 'ready' must be true or false, got {ready.GetRawText()}").ConfigureAwait(false);
                            return;
                        }

                        readyOnly = ready.GetBoolean();
                    }
                }
                catch (JsonException ex)
                {
                    await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, $"repository index: malformed JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}").ConfigureAwait(false);
                    return;
                }
            }
        }

        var rows = models.Index().Where(r => !readyOnly || r.State == ModelState.Ready).ToList();
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartArray();
            foreach (var row in rows)
            {
                w.WriteStartObject();
                w.WriteString("name", row.Name);
                if (row.Version is long v)
                {
                    w.WriteString("version", v.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                w.WriteString("state", row.State.ToString().ToUpperInvariant());
                if (row.Reason is not null)
                {
                    w.WriteString("reason", row.Reason);
                }

                if (row.Version is not null)
                {
                    w.WriteBoolean("loaded", row.Loaded);
                }

                if (row.LastUsed is { } lastUse)
                {
                    w.WriteString("last_use", lastUse);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }).ConfigureAwait(false);
    }

    public static async Task LoadAsync(HttpContext context)
    {
        var models = context.RequestServices.GetRequiredService<ModelManager>();
        var name = RouteValues.Model(context);
        var result = await models.LoadModelAsync(name, context.RequestAborted).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            await HttpErrors.WriteAsync(context, result.Error).ConfigureAwait(false);
            return;
        }

        await Done(context, name, "load").ConfigureAwait(false);
    }

    public static async Task UnloadAsync(HttpContext context)
    {
        var models = context.RequestServices.GetRequiredService<ModelManager>();
        var name = RouteValues.Model(context);
        var result = await models.UnloadModelAsync(name, context.RequestAborted).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            await HttpErrors.WriteAsync(context, result.Error).ConfigureAwait(false);
            return;
        }

        await Done(context, name, "unload").ConfigureAwait(false);
    }

    private static Task Done(HttpContext context, string name, string action)
        => JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteBoolean(action, true);
            w.WriteEndObject();
        });
}
