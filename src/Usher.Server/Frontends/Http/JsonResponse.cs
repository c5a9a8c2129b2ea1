using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Usher.Server.Frontends.Http;

/// <summary>Writes a JSON body with a status, through a <see cref="Utf8JsonWriter"/> over the response pipe.</summary>
internal static class JsonResponse
{
    public static async Task WriteAsync(HttpContext context, int status, Action<Utf8JsonWriter> body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        var writer = new Utf8JsonWriter(context.Response.BodyWriter, JsonInferenceResponseWriter.WriterOptions);
        await using (writer.ConfigureAwait(false))
        {
            body(writer);
        }
    }
}
