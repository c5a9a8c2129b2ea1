using System.Diagnostics.CodeAnalysis;
using Usher.Core.Inference;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Reads JSON strings that may not be text: the JSON parser does not check the UTF-8 inside strings,
/// and an escape such as <c>"\ud800"</c> spells half a character, so turning either into a .NET string
/// fails. Here that is an answer naming the field rather than an exception.
/// </summary>
internal static class JsonStrings
{
    /// <summary>The string value of <paramref name="value"/> (a JSON string), or false when it is not valid text.</summary>
    public static bool TryGet(JsonSlice value, [NotNullWhen(true)] out string? text) => value.TryGetString(out text);

    /// <summary>The error for a string in <paramref name="field"/> that is not valid text.</summary>
    public static InferenceError NotText(string field)
        => InferenceError.Invalid($"{field}: the string is not valid UTF-8 or has an unpaired surrogate escape (\\ud800-\\udfff); send UTF-8 text");
}
