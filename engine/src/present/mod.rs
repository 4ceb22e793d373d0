//! Stage 7, present: what a person sees before and besides a report: the
//! form (questions and options in a locale) and the transparency view
//! (what each audience would be shown).

pub(crate) mod form;
pub(crate) mod transparency;
