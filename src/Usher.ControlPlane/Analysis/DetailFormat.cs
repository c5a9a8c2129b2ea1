using System.Globalization;

namespace Usher.ControlPlane.Analysis;

/// <summary>How analysis details print numbers: invariant culture, fixed small precision.</summary>
internal static class DetailFormat
{
    /// <summary>A rate as a percentage with one decimal: 0.098 → "9.8%".</summary>
    public static string Percent(double rate) => (rate * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>Milliseconds with one decimal: "12.3 ms".</summary>
    public static string Ms(double ms) => ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    /// <summary>A ratio with two decimals: "×1.52".</summary>
    public static string Ratio(double ratio) => "×" + ratio.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>A p-value or statistic to three significant digits: "0.0123", "1.2E-08".</summary>
    public static string Number(double value) => value.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>An integer count.</summary>
    public static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);
}
