namespace Usher.ControlPlane.Experiments;

/// <summary>
/// Relative lift m_T/m_C − 1 and its standard error by the delta method (statistics.md §3a):
/// σ²_Δ = (m_T²/m_C²)·(s_C²/(n_C m_C²) + s_T²/(n_T m_T²)).
/// </summary>
internal static class RelativeLift
{
    /// <summary>The lift and its standard error; NaN when the control mean is 0 (no relative scale).</summary>
    public static (double Lift, double StandardError) Compute(double meanC, double varianceC, long nC, double meanT, double varianceT, long nT)
    {
        if (meanC == 0 || nC < 1 || nT < 1)
        {
            return (double.NaN, double.NaN);
        }

        var lift = (meanT / meanC) - 1;
        // The formula multiplied out, so that it stays defined when the treatment mean is 0.
        var c2 = meanC * meanC;
        var variance = (meanT * meanT * varianceC / (nC * c2 * c2)) + (varianceT / (nT * c2));
        return (lift, Math.Sqrt(variance));
    }
}
