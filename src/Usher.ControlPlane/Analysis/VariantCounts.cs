namespace Usher.ControlPlane.Analysis;

/// <summary>What one variant answered in an analysis window.</summary>
/// <param name="Requests">Requests answered, successfully or not.</param>
/// <param name="Errors">Requests that failed.</param>
internal sealed record VariantCounts(long Requests, long Errors)
{
    /// <summary>The counts of a sample.</summary>
    public static VariantCounts Of(VariantSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return new VariantCounts(sample.Requests, sample.Errors);
    }
}
