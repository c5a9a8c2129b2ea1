using System.Diagnostics.CodeAnalysis;

namespace Usher.Core.Inference;

/// <summary>Either a value or an <see cref="InferenceError"/>.</summary>
/// <typeparam name="T">The value's type.</typeparam>
internal readonly struct InferenceResult<T>
{
    private InferenceResult(T? value, InferenceError? error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The value, when <see cref="IsSuccess"/>.</summary>
    public T? Value { get; }

    /// <summary>The error, when not <see cref="IsSuccess"/>.</summary>
    public InferenceError? Error { get; }

    /// <summary>True when there is a value.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    /// <summary>A success.</summary>
    public static InferenceResult<T> Success(T value) => new(value, null);

    /// <summary>A failure.</summary>
    public static InferenceResult<T> Failure(InferenceError error) => new(default, error);

#pragma warning disable CA2225 // the named factories above are the alternates
    /// <summary>A failure.</summary>
    public static implicit operator InferenceResult<T>(InferenceError error) => Failure(error);
#pragma warning restore CA2225
}
