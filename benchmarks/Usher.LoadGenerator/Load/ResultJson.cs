using System.Text.Json;
using System.Text.Json.Serialization;

namespace Usher.LoadGenerator.Load;

/// <summary>The JSON form of results: snake_case, NaN written as <c>"NaN"</c> (a run with no successful request).</summary>
internal static class ResultJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
