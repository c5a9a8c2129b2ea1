namespace Usher.ControlPlane.Shadow;

/// <summary>
/// The rolling comparison of a shadow with the primary over the mirrored pairs since mirroring
/// started (latencies and scores over the last <see cref="ShadowComparison.MaxSamples"/>).
/// </summary>
internal sealed record ShadowReport
{
    /// <summary>When the comparison started.</summary>
    public required DateTimeOffset Since { get; init; }

    /// <summary>Mirrored requests compared (the shadow answered or failed).</summary>
    public required long Pairs { get; init; }

    /// <summary>Mirrored requests the shadow failed.</summary>
    public required long ShadowErrors { get; init; }

    /// <summary>What agreement compares: <c>label</c> (top-1), <c>score</c> (within tolerance) or <c>none</c>.</summary>
    public required string Basis { get; init; }

    /// <summary>Predictions compared (rows; a shadow failure counts as one that disagrees).</summary>
    public required long Compared { get; init; }

    /// <summary>Predictions that agreed.</summary>
    public required long Agreed { get; init; }

    /// <summary>Agreed / Compared (0 when nothing was compared).</summary>
    public double Agreement => Compared == 0 ? 0 : Agreed / (double)Compared;

    /// <summary>The 95% Wilson interval of the agreement.</summary>
    public required (double Low, double High) AgreementInterval { get; init; }

    /// <summary>Rows by (primary's label, shadow's label), ordered by labels.</summary>
    public required IReadOnlyList<(string Primary, string Shadow, long Count)> Confusion { get; init; }

    /// <summary>Rows whose scores were compared.</summary>
    public required long ScoreRows { get; init; }

    /// <summary>Mean |primary score − shadow score| per row (0 without scores).</summary>
    public required double MeanAbsDifference { get; init; }

    /// <summary>Largest |primary score − shadow score| (0 without scores).</summary>
    public required double MaxAbsDifference { get; init; }

    /// <summary>PSI of the shadow's scores against the primary's (null without scores).</summary>
    public required double? Psi { get; init; }

    /// <summary>Two-sample Kolmogorov-Smirnov D and p of the two score samples (null without scores).</summary>
    public required (double D, double P)? KolmogorovSmirnov { get; init; }

    /// <summary>Latency samples per side.</summary>
    public required int LatencySamples { get; init; }

    /// <summary>The primary's p50 and p99 latency over the mirrored requests, in ms (0 without samples).</summary>
    public required (double P50, double P99) PrimaryLatencyMs { get; init; }

    /// <summary>The shadow's p50 and p99 latency, in ms (0 without samples).</summary>
    public required (double P50, double P99) ShadowLatencyMs { get; init; }

    /// <summary>The last disagreeing requests, newest last.</summary>
    public required IReadOnlyList<ShadowDisagreement> Disagreements { get; init; }
}
