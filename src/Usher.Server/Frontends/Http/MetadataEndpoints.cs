using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Usher.Core.Models;
using Usher.Core.Repository;
using Usher.Core.Tensors;

namespace Usher.Server.Frontends.Http;

/// <summary>Server metadata, the model list, and model metadata.</summary>
internal static class MetadataEndpoints
{
    public static Task ServerMetadataAsync(HttpContext context)
        => JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("name", ServerIdentity.Name);
            w.WriteString("version", ServerIdentity.Version);
            w.WriteStartArray("extensions");
            foreach (var e in ServerIdentity.Extensions)
            {
                w.WriteStringValue(e);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });

    public static Task ListModelsAsync(HttpContext context)
    {
        var models = context.RequestServices.GetRequiredService<ModelManager>();
        return JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("models");
            foreach (var entry in models.Models)
            {
                w.WriteStartObject();
                w.WriteString("name", entry.Name);
                w.WriteString("state", entry.State.ToString().ToUpperInvariant());
                if (entry.Reason is not null)
                {
                    w.WriteString("reason", entry.Reason);
                }

                w.WriteStartArray("versions");
                foreach (var slot in entry.Versions)
                {
                    w.WriteStartObject();
                    w.WriteString("version", slot.Version.ToString(CultureInfo.InvariantCulture));
                    w.WriteString("state", slot.State.ToString().ToUpperInvariant());
                    if (slot.Reason is not null)
                    {
                        w.WriteString("reason", slot.Reason);
                    }

                    // Model density (docs/density.md): whether the version is in memory, and when a request last used it.
                    w.WriteBoolean("loaded", slot.Loaded is not null);
                    if ((slot.Loaded?.LastUsed ?? slot.LastUsed) is { } lastUse)
                    {
                        w.WriteString("last_use", lastUse);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>
    /// Model metadata. A model that failed to load still answers 200, with no tensors and its state
    /// and reason in <c>properties</c>, so that a client can see why.
    /// </summary>
    public static Task ModelMetadataAsync(HttpContext context)
    {
        var models = context.RequestServices.GetRequiredService<ModelManager>();
        var resolved = ModelRoute.Resolve(context, models);
        if (!resolved.IsSuccess)
        {
            return HttpErrors.WriteAsync(context, resolved.Error);
        }

        var (entry, slot) = resolved.Value;
        var name = entry.Name;

        var loaded = slot?.Loaded;
        return JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteStartArray("versions");
            foreach (var s in entry.Versions)
            {
                w.WriteStringValue(s.Version.ToString(CultureInfo.InvariantCulture));
            }

            w.WriteEndArray();
            w.WriteString("platform", loaded?.Platform ?? models.Platform);
            WriteTensors(w, "inputs", loaded?.Signature.Inputs ?? []);
            WriteTensors(w, "outputs", loaded?.Signature.Outputs ?? []);
            w.WriteStartObject("properties");
            if (slot is not null)
            {
                w.WriteString("version", slot.Version.ToString(CultureInfo.InvariantCulture));
            }

            w.WriteString("state", (slot?.State ?? ModelState.Unavailable).ToString().ToUpperInvariant());
            var reason = slot?.Reason ?? entry.Reason;
            if (reason is not null)
            {
                w.WriteString("reason", reason);
            }

            if (loaded is not null)
            {
                w.WriteString("max_batch_size", loaded.Signature.MaxBatchSize.ToString(CultureInfo.InvariantCulture));
            }

            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private static void WriteTensors(Utf8JsonWriter w, string property, IReadOnlyList<TensorSpec> specs)
    {
        w.WriteStartArray(property);
        foreach (var spec in specs)
        {
            w.WriteStartObject();
            w.WriteString("name", spec.Name);
            w.WriteString("datatype", spec.DataType.ToProtocolName());
            w.WriteStartArray("shape");
            foreach (var d in spec.Shape)
            {
                w.WriteNumberValue(d);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
