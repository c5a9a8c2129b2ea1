using System.Globalization;
using Usher.ControlPlane.Deployments;

namespace Usher.Streaming.Hosting;

/// <summary>
/// Durations as stream flags and usher.yaml write them: <c>5ms</c>, <c>2s</c>, <c>1m</c> (the deployment
/// spec's <see cref="Durations"/>), or a plain number of milliseconds.
/// </summary>
internal static class DurationText
{
    public static TimeSpan? Parse(string text)
    {
        text = text.Trim();
        return double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var milliseconds)
            ? TimeSpan.FromMilliseconds(milliseconds)
            : Durations.Parse(text);
    }
}
