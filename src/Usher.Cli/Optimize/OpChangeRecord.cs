using System.Text.Json.Serialization;

namespace Usher.Cli.Optimize;

/// <summary>One rewritten node.</summary>
internal sealed record OpChangeRecord(
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("op")] string Op,
    [property: JsonPropertyName("replacement")] string Replacement);
