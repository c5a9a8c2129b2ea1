using System.Text.Json;

namespace Usher.ControlPlane.Persistence;

/// <summary>JSON options of what the store keeps as JSON (snake_case, like the admin API).</summary>
internal static class StoreJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
