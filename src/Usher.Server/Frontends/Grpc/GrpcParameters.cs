using Google.Protobuf.Collections;
using Usher.Core.Inference;
using Usher.Server.Protos;

namespace Usher.Server.Frontends.Grpc;

/// <summary>Converts the protocol's <c>map&lt;string, InferParameter&gt;</c> to and from the core's parameter dictionaries.</summary>
internal static class GrpcParameters
{
    private static readonly IReadOnlyDictionary<string, object> Empty = new Dictionary<string, object>();

    /// <summary>Reads a parameter map; <paramref name="owner"/> names its holder in errors ("input 'x'").</summary>
    public static InferenceResult<IReadOnlyDictionary<string, object>> Read(MapField<string, InferParameter> parameters, string owner)
    {
        if (parameters.Count == 0)
        {
            return InferenceResult<IReadOnlyDictionary<string, object>>.Success(Empty);
        }

        var values = new Dictionary<string, object>(parameters.Count, StringComparer.Ordinal);
        foreach (var (key, parameter) in parameters)
        {
            object? value = parameter.ParameterChoiceCase switch
            {
                InferParameter.ParameterChoiceOneofCase.BoolParam => parameter.BoolParam,
                InferParameter.ParameterChoiceOneofCase.Int64Param => parameter.Int64Param,
                InferParameter.ParameterChoiceOneofCase.StringParam => parameter.StringParam,
                InferParameter.ParameterChoiceOneofCase.DoubleParam => parameter.DoubleParam,
                InferParameter.ParameterChoiceOneofCase.Uint64Param => parameter.Uint64Param,
                _ => null,
            };
            if (value is null)
            {
                return InferenceError.Invalid($"{owner}: parameter '{key}' has no value; set one of bool_param, int64_param, string_param, double_param, uint64_param");
            }

            values[key] = value;
        }

        return InferenceResult<IReadOnlyDictionary<string, object>>.Success(values);
    }

    /// <summary>Writes the core's parameters into a protocol map.</summary>
    public static void Write(IReadOnlyDictionary<string, object> parameters, MapField<string, InferParameter> into)
    {
        foreach (var (key, value) in parameters)
        {
            into[key] = value switch
            {
                bool b => new InferParameter { BoolParam = b },
                long l => new InferParameter { Int64Param = l },
                int i => new InferParameter { Int64Param = i },
                ulong u => new InferParameter { Uint64Param = u },
                double d => new InferParameter { DoubleParam = d },
                float f => new InferParameter { DoubleParam = f },
                _ => new InferParameter { StringParam = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty },
            };
        }
    }
}
