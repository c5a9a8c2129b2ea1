using System.Text;

namespace Usher.Server.Frontends.Http;

/// <summary>How a JSON value the client sent is shown back in an error message.</summary>
internal static class JsonText
{
    private const int MaxShown = 40;

    /// <summary>The value's JSON text, cut short when long: <c>1.5</c>, <c>"abc"</c>, <c>[1,2,...</c>.</summary>
    public static string Describe(JsonSlice value)
    {
        var raw = value.Raw;
        if (raw.Length <= MaxShown)
        {
            return Encoding.UTF8.GetString(raw);
        }

        // Cutting may split a UTF-8 sequence; the decoder shows that as a replacement character.
        return Encoding.UTF8.GetString(raw[..MaxShown]) + "...";
    }
}
