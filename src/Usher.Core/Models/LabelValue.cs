namespace Usher.Core.Models;

/// <summary>
/// The rule for a label's value, shared by a replica's labels (<c>--label hw=gpu</c>) and a model's
/// <c>hardware:</c> requirement, which is matched against one: Kubernetes' rule for label values (a
/// replica's labels often come from its pod's), so that any value one side accepts the other can match.
/// </summary>
internal static class LabelValue
{
    /// <summary>The longest value (Kubernetes' limit).</summary>
    public const int MaxLength = 63;

    /// <summary>What a valid value is, for error messages.</summary>
    public const string Expected = "a label value: 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (e.g. gpu)";

    /// <summary>Whether <paramref name="value"/> is a valid label value.</summary>
    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength || !char.IsAsciiLetterOrDigit(value[0]) || !char.IsAsciiLetterOrDigit(value[^1]))
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
