// Package indication delivers CIM indications to the listeners that subscribed to
// them (cim-model.md §4, cimxml.md §6).
//
// Clients subscribe with the standard interop classes, stored as static instances
// of the interop namespace: a CIM_IndicationFilter (Query, QueryLanguage WQL or
// DMTF:CQL, SourceNamespaces), a CIM_ListenerDestinationCIMXML (Destination, the
// listener's URL) and a CIM_IndicationSubscription joining the two. The Engine
// reads them from its Store at every indication, so that creating, disabling or
// deleting a subscription takes effect for the next indication, and subscriptions
// persist across restarts as the repository persists static instances.
//
// Providers raise indications through providers.IndicationSink, which *Engine
// satisfies. Indicate only enqueues: one goroutine matches each indication against
// the subscriptions (FROM class with ISA semantics: an indication of a subclass
// matches; the WHERE clause through cimom/query; the source namespaces), and one
// goroutine per destination posts a CIM-XML ExportIndication request to the
// listener, in order. A failed delivery is retried (by default after 1 s, 2 s and
// 4 s: Pegasus' 30 s is too long for a console waiting for an alert), then the
// subscription's OnFatalErrorPolicy applies: 2 Ignore (the default) drops the
// indication, 3 Disable sets SubscriptionState to 4 (Disabled), 4 Remove deletes
// the subscription. A listener that answers with a CIM ERROR refused the
// indication: it is not retried. A slow or dead listener delays only its own
// queue; a full queue drops with a warning.
//
// Not done: subscription validation at creation time (a bad query or language is
// found at the first indication and logged once), SubscriptionDuration,
// RepeatNotificationPolicy, the reliable delivery of DSP1054 (SequenceContext,
// SequenceNumber) and CIM_IndicationService.
package indication
