//! Collecting errors, so that one build reports every problem of an item
//! instead of the first one (serde_derive's `Ctxt`).

use std::cell::RefCell;

/// The errors found so far. Readers push into it and go on reading.
///
/// A `Ctxt` exists only inside [`Ctxt::collect`], which always turns what it
/// holds into the result: no error can be dropped unreported, and nothing
/// panics when a reader returns early.
pub struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

impl Ctxt {
    /// Runs `read` with a fresh context and returns what it read, or every
    /// error it pushed, combined in the order they were found.
    pub fn collect<T>(read: impl FnOnce(&Ctxt) -> Option<T>) -> syn::Result<T> {
        let cx = Ctxt {
            errors: RefCell::new(Vec::new()),
        };
        let value = read(&cx);
        let mut errors = cx.errors.into_inner().into_iter();
        match (errors.next(), value) {
            (Some(mut first), _) => {
                first.extend(errors);
                Err(first)
            }
            (None, Some(value)) => Ok(value),
            // A reader gave up without saying why: a bug here, reported
            // rather than hidden.
            (None, None) => Err(syn::Error::new(
                proc_macro2::Span::call_site(),
                "agentwire-macros could not read this item and lost the reason; please report it",
            )),
        }
    }

    /// Adds `error` to the errors found so far.
    pub fn error(&self, error: syn::Error) {
        self.errors.borrow_mut().push(error);
    }

    /// The value of `result`, or `None` after keeping its error.
    pub fn ok<T>(&self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.error(error)).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::Ctxt;
    use proc_macro2::Span;

    #[test]
    fn collect_returns_the_value_when_nothing_went_wrong() {
        assert_eq!(Ctxt::collect(|_| Some(3)).unwrap(), 3);
    }

    #[test]
    fn collect_combines_every_error_in_order_even_with_a_value() {
        let result = Ctxt::collect(|cx| {
            cx.error(syn::Error::new(Span::call_site(), "first"));
            cx.ok::<()>(Err(syn::Error::new(Span::call_site(), "second")));
            Some(())
        });
        let messages: Vec<String> = result
            .unwrap_err()
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(messages, ["first", "second"]);
    }

    #[test]
    fn collect_reports_a_reader_that_gives_up_silently() {
        assert!(Ctxt::collect::<()>(|_| None).is_err());
    }
}
