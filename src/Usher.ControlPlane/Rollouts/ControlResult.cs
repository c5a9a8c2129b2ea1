using System.Diagnostics.CodeAnalysis;

namespace Usher.ControlPlane.Rollouts;

/// <summary>Either a value or a <see cref="ControlError"/>.</summary>
/// <typeparam name="T">The value's type.</typeparam>
internal readonly struct ControlResult<T>
{
    private ControlResult(T? value, ControlError? error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The value, when <see cref="IsSuccess"/>.</summary>
    public T? Value { get; }

    /// <summary>The error, when not <see cref="IsSuccess"/>.</summary>
    public ControlError? Error { get; }

    /// <summary>Whether it succeeded.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    /// <summary>A success.</summary>
    public static ControlResult<T> Success(T value) => new(value, null);

    /// <summary>Wraps an error.</summary>
    public static implicit operator ControlResult<T>(ControlError error) => new(default, error);
}
