using System.Text.Json.Serialization;

namespace Usher.Cli.Profile;

/// <summary>A point's memory in MiB (<see cref="MemoryFigures"/>).</summary>
internal sealed record MemoryRecord(
    [property: JsonPropertyName("load_mib")] double LoadMiB,
    [property: JsonPropertyName("peak_mib")] double PeakMiB,
    [property: JsonPropertyName("per_instance_mib")] double PerInstanceMiB);
