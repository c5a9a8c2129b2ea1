using System.Globalization;

namespace Usher.Testing;

/// <summary>The sticky hash, written from its definition (statistics.md T19), not from the router's code: what tests check routing against.</summary>
internal static class StickyBucket
{
    /// <summary><c>fnv1a32(str(fnv1a32(seed + key))) % 10000 / 10000</c>, over UTF-16 code units; the seed is the endpoint.</summary>
    public static double Of(string seed, string key)
    {
        static uint Fnv(string text)
        {
            var h = 2166136261u;
            foreach (var c in text)
            {
                h = unchecked((h ^ c) * 16777619u);
            }

            return h;
        }

        return Fnv(Fnv(seed + key).ToString(CultureInfo.InvariantCulture)) % 10000 / 10000.0;
    }
}
