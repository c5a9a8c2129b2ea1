using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Usher.Cli.Admin;

/// <summary>
/// Reads an answer of the admin API into the DTO the server wrote (<see cref="Usher.ControlPlane.Api.AdminJsonContext"/>).
/// Lenient: unknown fields are skipped and missing ones are null, so a server a version apart still
/// prints; an answer of another shape reads as null.
/// </summary>
internal static class AdminDto
{
    public static T? Read<T>(JsonElement body, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        try
        {
            return body.ValueKind == JsonValueKind.Object ? body.Deserialize(typeInfo) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
