using System.Globalization;

namespace Usher.Core.Inference;

/// <summary>
/// How text that came from a client (a model name, an input name, a header) is echoed back in an
/// error message, a <c>grpc-message</c> trailer or a log line: whole when short, else cut, saying how
/// long it was. One rule for every echo, so that a 100 KB name never becomes a 100 KB answer.
/// </summary>
internal static class EchoText
{
    /// <summary>The most characters of one echoed value that are shown.</summary>
    public const int MaxValueLength = 200;

    /// <summary>The most characters of a whole error message; longer ones keep their start and end.</summary>
    public const int MaxMessageLength = 1000;

    /// <summary><paramref name="value"/> itself when short; else its first <see cref="MaxValueLength"/> characters, "...", and its length.</summary>
    public static string Value(string? value)
    {
        if (value is null || value.Length <= MaxValueLength)
        {
            return value ?? string.Empty;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{Head(value, MaxValueLength)}... ({value.Length} characters)");
    }

    /// <summary>
    /// <paramref name="message"/> itself when at most <see cref="MaxMessageLength"/> characters; else its
    /// start and its end (which usually says the fix), with how much was cut between them.
    /// </summary>
    public static string Message(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Length <= MaxMessageLength)
        {
            return message;
        }

        const int tail = MaxMessageLength / 4;
        var head = Head(message, MaxMessageLength - tail - 64);
        var end = message[^tail..];
        if (char.IsLowSurrogate(end[0]))
        {
            end = end[1..];
        }

        var cut = message.Length - head.Length - end.Length;
        return string.Create(CultureInfo.InvariantCulture, $"{head} ...[{cut} of {message.Length} characters cut]... {end}");
    }

    /// <summary>The first <paramref name="length"/> characters, one fewer where that would split a surrogate pair.</summary>
    private static string Head(string text, int length)
        => char.IsHighSurrogate(text[length - 1]) ? text[..(length - 1)] : text[..length];
}
