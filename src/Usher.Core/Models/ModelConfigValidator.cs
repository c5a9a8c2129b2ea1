namespace Usher.Core.Models;

/// <summary>
/// The rules of a <see cref="ModelConfig"/> that span fields: batch sizes against <c>max_batch_size</c>,
/// priority levels, unique tensor names. Field-level rules (types, ranges) belong to the parser.
/// Every broken rule is returned; none stops the others.
/// </summary>
internal static class ModelConfigValidator
{
    /// <summary>Every broken rule as a key path and a message.</summary>
    public static IEnumerable<(string Path, string Message)> Validate(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return
        [
            .. CheckTensors(config.Inputs, "inputs"),
            .. CheckTensors(config.Outputs, "outputs"),
            .. CheckWarmup(config),
            .. config.DynamicBatching is { } batching ? CheckBatching(config.MaxBatchSize, batching) : [],
            .. config.Logging is { } logging ? CheckLogging(logging) : [],
        ];
    }

    private static IEnumerable<(string, string)> CheckLogging(RequestLoggingConfig logging)
    {
        if (logging.MaxFileBytes is { } file && file > logging.MaxBytes)
        {
            yield return ("logging.max_file_bytes", $"{file} bytes is more than max_bytes ({logging.MaxBytes} bytes); a file is closed at max_file_bytes and the folder holds max_bytes");
        }
    }

    private static IEnumerable<(string, string)> CheckTensors(IReadOnlyList<TensorOverride> tensors, string path)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var clientNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tensors.Count; i++)
        {
            var tensor = tensors[i];
            if (tensor.Name.Length > 0 && !names.Add(tensor.Name))
            {
                yield return ($"{path}[{i}].name", $"'{tensor.Name}' is listed twice; list each tensor once");
                continue;
            }

            // Clients see the alias where there is one: two tensors must not answer to one name.
            var clientName = tensor.Alias ?? tensor.Name;
            if (clientName.Length > 0 && !clientNames.Add(clientName))
            {
                var key = tensor.Alias is null ? "name" : "alias";
                yield return ($"{path}[{i}].{key}", $"clients would see two tensors named '{clientName}'; choose another alias");
            }
        }
    }

    private static IEnumerable<(string, string)> CheckWarmup(ModelConfig config)
    {
        for (var i = 0; i < config.Warmup.Count; i++)
        {
            var batchSize = config.Warmup[i].BatchSize;
            if (config.MaxBatchSize == 0 && batchSize > 1)
            {
                yield return ($"warmup[{i}].batch_size",
                    $"{batchSize} needs a batched model, but max_batch_size is 0; remove batch_size or raise max_batch_size");
            }
            else if (config.MaxBatchSize is > 0 and var max && batchSize > max)
            {
                yield return ($"warmup[{i}].batch_size", $"{batchSize} is larger than max_batch_size {max}");
            }
        }
    }

    private static IEnumerable<(string, string)> CheckBatching(int? modelMax, DynamicBatchingConfig batching)
    {
        if (modelMax == 0)
        {
            yield return ("dynamic_batching", "needs a batched model, but max_batch_size is 0; remove dynamic_batching or set max_batch_size >= 1");
        }
        else if (modelMax is { } max && batching.MaxBatchSize > max)
        {
            yield return ("dynamic_batching.max_batch_size", $"{batching.MaxBatchSize} is larger than the model's max_batch_size {max}");
        }

        var limit = (batching.MaxBatchSize, modelMax) switch
        {
            ({ } own, _) => (Value: (int?)own, Name: "dynamic_batching.max_batch_size"),
            (null, > 0 and var model) => (model, "max_batch_size"),
            _ => (null, ""),
        };
        for (var i = 0; i < batching.PreferredBatchSize.Count; i++)
        {
            var size = batching.PreferredBatchSize[i];
            if (size > limit.Value)
            {
                yield return ($"dynamic_batching.preferred_batch_size[{i}]", $"{size} is larger than {limit.Name} {limit.Value}");
            }
        }

        foreach (var error in CheckPriorities(batching))
        {
            yield return error;
        }
    }

    private static IEnumerable<(string, string)> CheckPriorities(DynamicBatchingConfig batching)
    {
        var levels = batching.PriorityLevels;
        if (levels > 0 && batching.DefaultPriorityLevel == 0)
        {
            yield return ("dynamic_batching.default_priority_level",
                $"missing: required with priority_levels {levels}; set the level of requests without a priority (1 to {levels})");
        }
        else if (levels > 0 && batching.DefaultPriorityLevel > levels)
        {
            yield return ("dynamic_batching.default_priority_level",
                $"{batching.DefaultPriorityLevel} is not a level; expected 1 to priority_levels {levels}");
        }
        else if (levels == 0 && batching.DefaultPriorityLevel != 0)
        {
            yield return ("dynamic_batching.default_priority_level", "needs priority_levels >= 1; set priority_levels or remove this key");
        }

        foreach (var level in batching.PriorityQueuePolicy.Keys.Order())
        {
            if (level < 1 || level > levels)
            {
                var expected = levels == 0 ? "no levels, as priority_levels is 0" : $"levels 1 to priority_levels {levels}";
                yield return ($"dynamic_batching.priority_queue_policy.{level}", $"{level} is not a level; expected {expected}");
            }
        }
    }
}
