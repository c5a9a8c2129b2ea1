namespace Usher.Cli.Profile;

/// <summary>What <see cref="Recommender.Choose"/> picked, and among what.</summary>
/// <param name="Point">The point to run.</param>
/// <param name="Fastest">The eligible point with the highest throughput (the same as <see cref="Point"/> unless a tie moved the choice).</param>
/// <param name="Tied">
/// The eligible points whose throughput is within the measured spread of <see cref="Fastest"/>'s, the
/// fastest first: as good as it as far as the runs can tell. <see cref="Point"/> is one of them.
/// </param>
/// <param name="IsDefault">Whether <see cref="Point"/> is the model's own configuration, or a swept point with its settings.</param>
internal sealed record Recommendation(PointMeasurement Point, PointMeasurement Fastest, IReadOnlyList<PointMeasurement> Tied, bool IsDefault)
{
    /// <summary>Whether the default won a tie: it is recommended although another point measured a higher throughput, within the spread.</summary>
    public bool DefaultWithinNoise => IsDefault && !ReferenceEquals(Point, Fastest);
}
