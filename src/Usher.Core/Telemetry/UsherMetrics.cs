namespace Usher.Core.Telemetry;

// STUB: the telemetry work fills this in (System.Diagnostics.Metrics instruments on meter "Usher").
/// <summary>Every metric instrument of Usher, on the meter <see cref="MeterName"/>.</summary>
public sealed class UsherMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Usher";

    /// <summary>The metrics of one model version (labels model, version).</summary>
    public ModelMetrics ForVersion(string model, long version) => new();

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
