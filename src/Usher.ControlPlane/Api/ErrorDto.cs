using System.Text.Json.Serialization;
using Usher.ControlPlane.Rollouts;

namespace Usher.ControlPlane.Api;

/// <summary>Every error answer: <c>{"error": "...", "problems": ["..."]}</c>, <c>problems</c> only where several things can be wrong.</summary>
/// <param name="Error">What went wrong and what to do.</param>
/// <param name="Problems">One line per problem; absent when there is none.</param>
public sealed record ErrorDto(
    string? Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Problems)
{
    /// <summary>The wire form of <paramref name="error"/>: its message followed by its problems.</summary>
    internal static ErrorDto From(ControlError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Problems.Count == 0
            ? new ErrorDto(error.Message, null)
            : new ErrorDto($"{error.Message}: {string.Join("; ", error.Problems)}", error.Problems);
    }
}
