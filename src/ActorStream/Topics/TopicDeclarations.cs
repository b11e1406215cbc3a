using Akka.Configuration;
using ActorStream.Pipelines.Settings;
using ActorStream.Topics.Internal;

namespace ActorStream.Topics;

/// <summary>
/// Topics as code: the topics declared under <c>actorstream.topics.&lt;name&gt;</c>, plus every topic a
/// pipeline reads, emits to or dead-letters to that is not declared, derived with documented
/// defaults (<c>actorstream.topic-defaults</c>; a dead-letter topic gets its input topic's
/// partition count and <c>dlq-retention</c>).
/// </summary>
public static class TopicDeclarations
{
    /// <summary>Path of the topic blocks.</summary>
    public const string TopicsPath = "actorstream.topics";

    /// <summary>Path of the defaults every topic block falls back to.</summary>
    public const string DefaultsPath = "actorstream.topic-defaults";

    /// <summary>
    /// Reads the declared topics of <paramref name="root"/> and derives the undeclared topics of
    /// <paramref name="pipelines"/>. Sorted by name.
    /// </summary>
    /// <param name="root">The application's configuration (the embedded reference is the fallback).</param>
    /// <param name="pipelines">The pipelines whose topics must be covered.</param>
    /// <exception cref="TopicConfigurationException">A declaration is invalid; the message names the key.</exception>
    public static IReadOnlyList<TopicSettings> FromConfig(Config root, IEnumerable<PipelineSettings> pipelines)
    {
        ArgumentNullException.ThrowIfNull(root);
        var full = root.IsEmpty ? PipelineDefaults.ReferenceConfig : root.WithFallback(PipelineDefaults.ReferenceConfig);
        var defaults = TopicConfigReader.ReadDefaults(full);
        var declared = new SortedDictionary<string, TopicSettings>(StringComparer.Ordinal);
        foreach (var topic in TopicConfigReader.ReadTopics(full, defaults))
        {
            declared[topic.Name] = topic;
        }

        var derived = new SortedDictionary<string, TopicSettings>(StringComparer.Ordinal);
        TopicSettings Derive(string name) => defaults.Topic with { Name = name, Origin = TopicOrigin.Derived };
        foreach (var pipeline in pipelines)
        {
            foreach (var topic in pipeline.Topics.Concat(pipeline.EmitTopics))
            {
                if (!declared.ContainsKey(topic) && !derived.ContainsKey(topic))
                {
                    derived[topic] = Derive(topic);
                }
            }
        }

        foreach (var pipeline in pipelines)
        {
            if (declared.ContainsKey(pipeline.DlqTopic))
            {
                continue;
            }

            // Same key as the input (records keep their key), as many partitions, kept longer: a
            // dead letter is worth keeping until someone looked at it.
            var input = declared.GetValueOrDefault(pipeline.Topics[0]) ?? derived[pipeline.Topics[0]];
            derived[pipeline.DlqTopic] = input with
            {
                Name = pipeline.DlqTopic,
                Retention = defaults.DlqRetention,
                CleanupPolicy = "delete",
                Origin = TopicOrigin.DerivedDeadLetter,
            };
        }

        return declared.Values.Concat(derived.Values).OrderBy(t => t.Name, StringComparer.Ordinal).ToList().AsReadOnly();
    }
}
