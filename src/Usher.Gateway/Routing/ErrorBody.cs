using System.Text.Json.Serialization;

namespace Usher.Gateway.Routing;

/// <summary>An error answer: <c>{"error": "..."}</c>, as Usher's REST front end writes it.</summary>
internal sealed record ErrorBody([property: JsonPropertyName("error")] string Error);
